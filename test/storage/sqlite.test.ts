import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { openSqliteConnection } from "../../src/storage/sqlite/connection.ts";
import { sqliteIntegrityCheck } from "../../src/storage/sqlite/integrity.ts";
import { SCHEMA_VERSION } from "../../src/storage/sqlite/migrations.ts";
import { openSqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";
import { storeContract } from "./contract.ts";
import { assertPhoto, insertAll, newTenant, size, user } from "./contract-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "portrait-sqlite-"));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `store-${++files}.db`);

storeContract("SQLite store (file)", async () => openSqliteStore({ path: freshPath() }));
storeContract("SQLite store (:memory:)", async () => openSqliteStore({ path: ":memory:" }));

describe("SQLite connection", () => {
  test("uses WAL, synchronous FULL, foreign keys and a busy timeout", () => {
    const db = openSqliteConnection(freshPath());
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("synchronous", { simple: true }), 2, "2 is FULL");
      assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
      assert.ok((db.pragma("busy_timeout", { simple: true }) as number) >= 1000);
    } finally {
      db.close();
    }
  });

  test("a store's file is left in WAL mode", async () => {
    const path = freshPath();
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    try {
      assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      raw.close();
    }
  });

  test("creates a missing parent directory", async () => {
    const path = join(root, "a", "b", "c", "portrait.db");
    const store = openSqliteStore({ path });
    await store.ping();
    await store.close();
    assert.deepEqual(sqliteIntegrityCheck(path), []);
  });
});

describe("SQLite migrations", () => {
  test("a new file gets the current schema version", async () => {
    const path = freshPath();
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    try {
      assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
      const tables = raw
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      assert.deepEqual(tables, ["objects", "photo_sizes"]);
    } finally {
      raw.close();
    }
  });

  test("reopening migrates nothing and keeps the data", async () => {
    const path = freshPath();
    const t = newTenant();
    const owner = user(t);
    const first = openSqliteStore({ path });
    await insertAll(first, owner);
    await first.replacePhoto(t, owner.id, [size(48, "kept"), size(96, "kept")]);
    await first.close();
    for (let i = 0; i < 3; i++) {
      const again = openSqliteStore({ path });
      assert.deepEqual(await again.getObject(t, "user", owner.id), owner);
      await assertPhoto(again, t, owner.id, [size(48, "kept"), size(96, "kept")]);
      await again.close();
    }
    assert.deepEqual(sqliteIntegrityCheck(path), []);
  });

  test("refuses a database written by a newer schema", () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openSqliteStore({ path }), /newer than this Portrait supports/);
  });
});

describe("sqliteIntegrityCheck", () => {
  test("finds nothing wrong with a sound store", async () => {
    const path = freshPath();
    const store = openSqliteStore({ path });
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    await store.replacePhoto(t, owner.id, [size(48, "ok")]);
    await store.close();
    assert.deepEqual(sqliteIntegrityCheck(path), []);
  });

  test("reports a photo whose owner is missing", async () => {
    const path = freshPath();
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    raw.pragma("foreign_keys = OFF");
    raw.prepare("INSERT INTO photo_sizes VALUES ('t', 'nobody', 48, 'e', x'00')").run();
    raw.close();
    const problems = sqliteIntegrityCheck(path);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", /photo_sizes .*missing objects/);
  });

  test("reports a missing file and a file that is not a database", () => {
    assert.match(sqliteIntegrityCheck(join(root, "absent.db")).join(), /no such database file/);
    const junk = join(root, "junk.db");
    writeFileSync(junk, Buffer.alloc(8192, 0x5a));
    assert.notDeepEqual(sqliteIntegrityCheck(junk), []);
  });
});

describe("SQLite store: two connections on one file (as two processes)", () => {
  type Store = ReturnType<typeof openSqliteStore>;
  /** Two stores on one new file, and a user inserted through the first. */
  async function twoStores(
    body: (a: Store, b: Store, tenant: string, owner: ReturnType<typeof user>) => Promise<void>,
  ): Promise<void> {
    const path = freshPath();
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    try {
      const tenant = newTenant();
      const owner = user(tenant);
      await insertAll(a, owner);
      await body(a, b, tenant, owner);
    } finally {
      await a.close();
      await b.close();
    }
  }

  test("each sees the other's writes at once, and its own", () =>
    twoStores(async (a, b, tenant, owner) => {
      await a.replacePhoto(tenant, owner.id, [size(48, "one")]);
      // The answer without a promise (what a photo GET uses) must be as fresh.
      const sizeNow = (store: typeof a) => {
        assert.ok(store.getPhotoSizeInfoSync, "the SQLite store answers without a promise");
        return store.getPhotoSizeInfoSync(tenant, "user", owner.id, 48);
      };
      const etag = async (store: typeof a) => {
        const now = sizeNow(store)?.size?.etag;
        const answer = (await store.getPhotoSizeInfo(tenant, "user", owner.id, 48))?.size?.etag;
        assert.equal(now, answer, "getPhotoSizeInfoSync agrees with getPhotoSizeInfo");
        return answer;
      };
      const listed = async (store: typeof a) => {
        const sizes = (await store.listPhotoSizes(tenant, owner.id)).map((info) => info.etag);
        const withOwner = await store.getPhotoSizeList(tenant, "user", owner.id);
        assert.deepEqual(
          withOwner?.sizes.map((info) => info.etag),
          sizes,
          "getPhotoSizeList agrees",
        );
        return sizes;
      };
      // Both have read (and may keep) the first photo.
      assert.equal(await etag(a), '"one-48"');
      assert.equal(await etag(b), '"one-48"');
      assert.deepEqual(await listed(b), ['"one-48"']);

      await b.replacePhoto(tenant, owner.id, [size(48, "two")]);
      assert.equal(await etag(b), '"two-48"', "a store sees its own write at once");
      assert.deepEqual(await listed(b), ['"two-48"']);
      assert.equal(await etag(a), '"two-48"', "the other connection's commit is seen");
      assert.deepEqual(await listed(a), ['"two-48"']);

      await a.deletePhoto(tenant, owner.id);
      assert.deepEqual(sizeNow(b), { size: undefined });
      assert.deepEqual(await b.getPhotoSizeInfo(tenant, "user", owner.id, 48), {
        size: undefined,
      });
      await a.deleteObject(tenant, owner.id);
      assert.equal(sizeNow(b), undefined);
      assert.equal(await b.getPhotoSizeInfo(tenant, "user", owner.id, 48), undefined);
      assert.deepEqual(await b.listPhotoSizes(tenant, owner.id), []);
    }));

  test("a write reported done is seen by the other connection's very next read, every time", () =>
    twoStores(async (a, b, tenant, owner) => {
      const current = (store: typeof a) => store.getPhotoSizeInfoSync?.(tenant, "user", owner.id);
      for (let i = 0; i < 30; i++) {
        current(a); // a looks for commits now; the next look may be skipped within the window
        const writer = i % 2 === 0 ? b : a;
        await writer.replacePhoto(tenant, owner.id, [size(48, `v${i}`)]);
        assert.equal(current(a)?.size?.etag, `"v${i}-48"`, `write ${i}, a`);
        assert.equal(current(b)?.size?.etag, `"v${i}-48"`, `write ${i}, b`);
      }
    }));

  test("directory reads: the other connection's update is seen, a caller's changes are not kept", () =>
    twoStores(async (a, b, tenant, owner) => {
      const read = async (store: typeof a) => await store.getObject(tenant, "user", owner.id);
      const found = await read(a);
      assert.ok(found);
      assert.equal((await b.findByUniqueKey(tenant, "user", `${owner.id}@x.test`))?.id, owner.id);
      found.data.displayName = "changed by a caller";
      assert.notEqual((await read(a))?.data.displayName, "changed by a caller");

      const renamed = { ...owner, uniqueKey: "renamed@x.test", data: { displayName: "Renamed" } };
      assert.deepEqual(await b.updateObject(renamed), { ok: true });
      assert.equal((await read(a))?.data.displayName, "Renamed");
      assert.equal(await a.findByUniqueKey(tenant, "user", `${owner.id}@x.test`), undefined);
      assert.equal((await a.findByUniqueKey(tenant, "user", "renamed@x.test"))?.id, owner.id);
    }));

  test("answers are not shared between tenants whose ids run together", async () => {
    const store = openSqliteStore({ path: freshPath() });
    try {
      // Tenant "t" with owner "1x" and tenant "t1" with owner "x" would share a naive key.
      const first = user("t", "1x");
      const second = user("t1", "x");
      await insertAll(store, first, second);
      await store.replacePhoto("t", "1x", [size(48, "first")]);
      assert.equal((await store.getPhotoSizeInfo("t", "user", "1x", 48))?.size?.etag, '"first-48"');
      assert.deepEqual(await store.getPhotoSizeInfo("t1", "user", "x", 48), { size: undefined });
      assert.deepEqual(await store.listPhotoSizes("t1", "x"), []);
    } finally {
      await store.close();
    }
  });
});
