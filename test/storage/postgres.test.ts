/**
 * The PostgreSQL store: the shared contract, then its own schema handling. Everything runs in
 * schemas made for this run (random names) and dropped at the end. Faults: postgres-faults.test.ts.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Store } from "../../src/photos/store.ts";
import { SCHEMA_VERSION } from "../../src/storage/postgres/migrations.ts";
import { openPostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import {
  dropSchema,
  freshSchemaName,
  TEST_DATABASE_URL,
  withAdminClient,
} from "../helpers/postgres.ts";
import { storeContract } from "./contract.ts";
import { assertPhoto, insertAll, newTenant, size, user } from "./contract-helpers.ts";

const schemas: string[] = [];
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

/** A schema name for this run, dropped at the end. */
function newSchema(): string {
  const schema = freshSchemaName();
  schemas.push(schema);
  return schema;
}

const open = (schema: string, extra: { statementTimeoutMs?: number } = {}): Promise<Store> =>
  openPostgresStore({
    url: TEST_DATABASE_URL,
    schema,
    poolSize: 4,
    statementTimeoutMs: extra.statementTimeoutMs ?? 5000,
    connectRetries: 0,
  });

const contractSchema = newSchema();
storeContract("PostgreSQL store", () => open(contractSchema));

interface LedgerRow {
  version: number;
  description: string;
  applied_at: Date;
}

function ledger(schema: string): Promise<LedgerRow[]> {
  return withAdminClient(async (client) => {
    const result = await client.query<LedgerRow>(
      `SELECT version, description, applied_at FROM "${schema}".portrait_migrations
       ORDER BY version`,
    );
    return result.rows;
  });
}

function tablesOf(schema: string): Promise<string[]> {
  return withAdminClient(async (client) => {
    const result = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1
       ORDER BY table_name`,
      [schema],
    );
    return result.rows.map((row) => row.table_name);
  });
}

describe("PostgreSQL schema and migrations", () => {
  test("a missing schema is created, with every table in it and the current version", async () => {
    const schema = newSchema();
    const store = await open(schema);
    await store.close();
    assert.deepEqual(await tablesOf(schema), ["objects", "photo_sizes", "portrait_migrations"]);
    const rows = await ledger(schema);
    assert.deepEqual(
      rows.map((row) => row.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  test("several processes opening a fresh schema at once all succeed; each step runs once", async () => {
    const schema = newSchema();
    const stores = await Promise.all(Array.from({ length: 8 }, () => open(schema)));
    try {
      const t = newTenant();
      const owner = user(t);
      await insertAll(stores[0] as Store, owner);
      for (const store of stores) {
        assert.equal(store.kind, "postgres");
        assert.deepEqual(await store.getObject(t, "user", owner.id), owner);
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    assert.equal((await ledger(schema)).length, SCHEMA_VERSION);
  });

  test("reopening migrates nothing and keeps the data", async () => {
    const schema = newSchema();
    const t = newTenant();
    const owner = user(t);
    const first = await open(schema);
    await insertAll(first, owner);
    await first.replacePhoto(t, owner.id, [size(48, "kept"), size(96, "kept")]);
    await first.close();
    const before = await ledger(schema);
    for (let i = 0; i < 3; i++) {
      const again = await open(schema);
      assert.deepEqual(await again.getObject(t, "user", owner.id), owner);
      await assertPhoto(again, t, owner.id, [size(48, "kept"), size(96, "kept")]);
      await again.close();
    }
    assert.deepEqual(await ledger(schema), before, "no step applied again");
  });

  test("refuses a schema written by a newer Portrait", async () => {
    const schema = newSchema();
    await (await open(schema)).close();
    await withAdminClient((client) =>
      client.query(
        `INSERT INTO "${schema}".portrait_migrations (version, description) VALUES ($1, 'future')`,
        [SCHEMA_VERSION + 1],
      ),
    );
    await assert.rejects(open(schema), /newer than this Portrait supports/);
  });

  test("refuses a schema name that is not a plain lower-case identifier", async () => {
    await assert.rejects(open('x"; DROP TABLE y; --'), /not a lower-case SQL identifier/);
  });

  test("object properties keep their key order and any JSON value", async () => {
    const store = await open(contractSchema);
    try {
      const t = newTenant();
      const owner = user(t);
      owner.data = { z: 1, a: "\u0000nul", m: [1, { y: null, b: true }], "": 1.5 };
      await insertAll(store, owner);
      const got = await store.getObject(t, "user", owner.id);
      assert.equal(JSON.stringify(got?.data), JSON.stringify(owner.data));
    } finally {
      await store.close();
    }
  });
});

describe("PostgreSQL photo writes", () => {
  test("concurrent replaces of one photo from several stores end with one complete set", async () => {
    const stores = await Promise.all([open(contractSchema), open(contractSchema)]);
    try {
      const t = newTenant();
      const owner = user(t);
      await insertAll(stores[0] as Store, owner);
      const writes = Array.from({ length: 30 }, (_, i) => {
        const edges = i % 2 === 0 ? [48, 64, 96, 120] : [48, 240];
        return edges.map((edge) => size(edge, `w${i}`, 2000 + i));
      });
      const results = await Promise.all(
        writes.map((sizes, i) => (stores[i % 2] as Store).replacePhoto(t, owner.id, sizes)),
      );
      assert.ok(results.every(Boolean));
      const final = await (stores[1] as Store).listPhotoSizes(t, owner.id);
      const seed = /^"(w\d+)-/.exec(final[0]?.etag ?? "")?.[1];
      const winner = writes.find((sizes) => sizes[0]?.etag.startsWith(`"${seed}-`));
      assert.ok(winner, `the final photo is one of the writes (${final[0]?.etag})`);
      await assertPhoto(stores[0] as Store, t, owner.id, winner);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test("a write that hits the statement timeout rejects with serviceNotAvailable and writes nothing", async () => {
    const store = await open(contractSchema, { statementTimeoutMs: 300 });
    try {
      const t = newTenant();
      const owner = user(t);
      await insertAll(store, owner);
      await store.replacePhoto(t, owner.id, [size(48, "old")]);
      await withAdminClient(async (admin) => {
        await admin.query("BEGIN");
        await admin.query(
          `SELECT 1 FROM "${contractSchema}".objects WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
          [t, owner.id],
        );
        await assert.rejects(store.replacePhoto(t, owner.id, [size(48, "new")]), {
          name: "GraphError",
          code: "serviceNotAvailable",
          retryAfter: 5,
        });
        await admin.query("ROLLBACK");
      });
      await assertPhoto(store, t, owner.id, [size(48, "old")]);
      assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), "written");
      await assertPhoto(store, t, owner.id, [size(48, "new")]);
    } finally {
      await store.close();
    }
  });
});
