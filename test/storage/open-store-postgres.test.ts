/** `openStore` with a PostgreSQL configuration (the SQLite case: open-store.test.ts). */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { openStore } from "../../src/storage/open-store.ts";
import { dropSchema, freshSchemaName, TEST_DATABASE_URL } from "../helpers/postgres.ts";

const schema = freshSchemaName();
after(async () => {
  await dropSchema(schema);
  await dropSchema(`${schema}_b`);
});
const postgres = { schema, poolSize: 1, statementTimeoutMs: 1000, connectRetries: 0 };

test("openStore opens PostgreSQL at the configured URL, in the configured schema", async () => {
  const config = { database: { kind: "postgres", url: TEST_DATABASE_URL }, postgres } as const;
  const store = await openStore(config);
  assert.equal(store.kind, "postgres");
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
  assert.deepEqual(await again.getObject("t", "user", "u"), item, "the schema holds the data");
  await again.close();
  const elsewhere = await openStore({
    ...config,
    postgres: { ...postgres, schema: `${schema}_b` },
  });
  try {
    assert.equal(await elsewhere.getObject("t", "user", "u"), undefined, "schemas are separate");
  } finally {
    await elsewhere.close();
  }
});

test("openStore reports PostgreSQL startup retries through the given log", async () => {
  const logged: string[] = [];
  const url = "postgres://postgres@127.0.0.1:1/test";
  await assert.rejects(
    openStore(
      { database: { kind: "postgres", url }, postgres: { ...postgres, connectRetries: 1 } },
      { log: (message) => logged.push(message) },
    ),
    /PostgreSQL at 127\.0\.0\.1:1\/test is not reachable after 2 attempts/,
  );
  assert.equal(logged.length, 1);
  assert.match(logged[0] ?? "", /attempt 1 of 2/);
});
