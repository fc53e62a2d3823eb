// openStore with PostgreSQL: open-store-postgres.test.ts (run in the PostgreSQL pass).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/storage/open-store.ts";

const root = mkdtempSync(join(tmpdir(), "portrait-open-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
const postgres = { schema: "public", poolSize: 1, statementTimeoutMs: 1000, connectRetries: 0 };

test("openStore opens SQLite at the configured path", async () => {
  const path = join(root, "data", "portrait.db");
  const config = { database: { kind: "sqlite", path }, postgres } as const;
  const store = await openStore(config);
  assert.equal(store.kind, "sqlite");
  const item = {
    tenantId: "t",
    id: "u",
    kind: "user",
    ownerId: null,
    parentId: null,
    uniqueKey: null,
    data: {},
  } as const;
  assert.deepEqual(await store.insertObject(item), { ok: true });
  await store.close();
  const again = await openStore(config);
  assert.deepEqual(await again.getObject("t", "user", "u"), item, "the file holds the data");
  await again.close();
});
