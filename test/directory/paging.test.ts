/**
 * Filtered pages of users on a real SQLite store: one page reads at most MAX_SCANNED objects,
 * so a filter that matches little ends its page early and the next page goes on searching;
 * every match is still found, once, in order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_SCANNED, pageViews, type View } from "../../src/directory/paging.ts";
import { openSqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";

test("a filter matching only objects past MAX_SCANNED: early pages, every match found", async () => {
  const store = openSqliteStore({ path: ":memory:" });
  try {
    const tenantId = "a1d6c3f0-7f6e-4c1b-9d7a-2b8e4f6a9c01";
    const total = MAX_SCANNED + 600;
    const wanted = new Set([3, MAX_SCANNED + 10, total - 1]);
    for (let i = 0; i < total; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      const data = { displayName: wanted.has(i) ? `Wanted ${i}` : `Other ${i}` };
      const done = await store.insertObject({
        tenantId,
        id,
        kind: "user",
        ownerId: null,
        parentId: null,
        uniqueKey: null,
        data,
      });
      assert.deepEqual(done, { ok: true });
    }
    const condition = (view: View) => String(view.displayName).startsWith("Wanted");
    const found: unknown[] = [];
    const sizes: number[] = [];
    let after: number | undefined;
    do {
      const page = await pageViews(store, tenantId, "user", { after, limit: 100 }, condition);
      found.push(...page.views.map((view) => view.displayName));
      sizes.push(page.views.length);
      after = page.next;
    } while (after !== undefined);
    assert.deepEqual(
      found,
      [...wanted].map((i) => `Wanted ${i}`),
    );
    // The first page stopped after MAX_SCANNED objects with one match; the second found the rest.
    assert.deepEqual(sizes, [1, 2]);
  } finally {
    await store.close();
  }
});
