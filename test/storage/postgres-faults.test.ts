/**
 * The PostgreSQL store when the database is away: at startup (bounded retries, then a clear
 * error), and while serving (calls reject with serviceNotAvailable, nothing is half-written, and
 * the same store works again once the database is back, without reopening).
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, describe, test } from "node:test";
import { GraphError } from "../../src/errors.ts";
import { openPostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import {
  dropSchema,
  freshSchemaName,
  TEST_DATABASE_URL,
  terminateBackends,
  urlTaggedWith,
} from "../helpers/postgres.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";
import { assertPhoto, insertAll, newTenant, size, user } from "./contract-helpers.ts";

const schema = freshSchemaName();
after(() => dropSchema(schema));

const open = (url: string, connectRetries = 0, log?: (message: string) => void) =>
  openPostgresStore({
    url,
    schema,
    poolSize: 3,
    statementTimeoutMs: 5000,
    connectRetries,
    ...(log && { log }),
  });

const unavailable = {
  name: "GraphError",
  code: "serviceNotAvailable",
  message: "The database is not reachable.",
  retryAfter: 5,
};

/** Calls `call` until it resolves (at most `tries` times); every failure must be a 503. */
async function eventually<T>(call: () => Promise<T>, tries = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      assert.ok(
        error instanceof GraphError && error.code === "serviceNotAvailable",
        error as Error,
      );
      if (i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

const upstream = (() => {
  const url = new URL(TEST_DATABASE_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
})();

describe("PostgreSQL lost while serving", () => {
  test("terminated backends: calls answer or reject with serviceNotAvailable, then work again", async () => {
    const tag = freshSchemaName("portrait_kill");
    const store = await open(urlTaggedWith(tag));
    try {
      const t = newTenant();
      const owner = user(t);
      await insertAll(store, owner);
      await store.replacePhoto(t, owner.id, [size(48, "before")]);
      // Every pooled connection is busy once, so several backends exist to be killed.
      await Promise.all([store.ping(), store.ping(), store.ping()]);
      assert.ok((await terminateBackends(tag)) >= 1, "the store's connections were found");

      const next = await Promise.allSettled([
        store.getObject(t, "user", owner.id),
        store.listPhotoSizes(t, owner.id),
        store.replacePhoto(t, owner.id, [size(48, "during")]),
      ]);
      for (const outcome of next) {
        if (outcome.status === "rejected") {
          assert.ok(outcome.reason instanceof GraphError, String(outcome.reason));
          assert.equal(outcome.reason.code, "serviceNotAvailable");
          assert.equal(outcome.reason.retryAfter, 5);
        }
      }
      // Recovery without reopening: the pool makes new connections.
      assert.deepEqual(await eventually(() => store.getObject(t, "user", owner.id)), owner);
      assert.equal(
        await eventually(() => store.replacePhoto(t, owner.id, [size(48, "after")])),
        "written",
      );
      await assertPhoto(store, t, owner.id, [size(48, "after")]);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  test("unreachable database: every call rejects with serviceNotAvailable, old photo kept, recovery on return", async () => {
    const proxy = await startTcpProxy(upstream);
    const logged: string[] = [];
    const store = await open(proxy.url(TEST_DATABASE_URL), 0, (message) => logged.push(message));
    try {
      const t = newTenant();
      const owner = user(t);
      await insertAll(store, owner);
      await store.replacePhoto(t, owner.id, [size(48, "old"), size(96, "old")]);

      await proxy.stop();
      await assert.rejects(store.ping(), unavailable);
      await assert.rejects(store.replacePhoto(t, owner.id, [size(48, "new")]), unavailable);
      await assert.rejects(store.deletePhoto(t, owner.id), unavailable);
      await assert.rejects(store.insertObject(user(t)), unavailable);
      await assert.rejects(store.getPhotoSize(t, owner.id, 48), unavailable);
      await assert.rejects(store.listObjects(t, "user"), unavailable);

      await proxy.start();
      await store.ping();
      await assertPhoto(store, t, owner.id, [size(48, "old"), size(96, "old")]);
      assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), "written");
      await assertPhoto(store, t, owner.id, [size(48, "new")]);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe("PostgreSQL unreachable at startup", () => {
  test("fails after the configured retries with a clear message, saying so at each attempt", async () => {
    const port = await closedPort();
    const url = new URL(TEST_DATABASE_URL);
    url.hostname = "127.0.0.1";
    url.port = String(port);
    url.password = "secret-password";
    const logged: string[] = [];
    await assert.rejects(
      open(url.toString(), 2, (message) => logged.push(message)),
      (error) => {
        assert.ok(error instanceof Error);
        assert.match(
          error.message,
          new RegExp(
            `^PostgreSQL at 127\\.0\\.0\\.1:${port}/\\w+ is not reachable after 3 attempts: .*ECONNREFUSED`,
          ),
        );
        assert.doesNotMatch(error.message, /secret-password/);
        return true;
      },
    );
    assert.equal(logged.length, 2);
    assert.match(logged[0] ?? "", /attempt 1 of 3.*retrying in 0\.5 s/);
    assert.match(logged[1] ?? "", /attempt 2 of 3.*retrying in 1 s/);
  });

  test("waits for a database that becomes reachable during the retries", async () => {
    const proxy = await startTcpProxy(upstream);
    await proxy.stop();
    const logged: string[] = [];
    const opening = open(proxy.url(TEST_DATABASE_URL), 5, (message) => {
      logged.push(message);
      void proxy.start();
    });
    const store = await opening;
    try {
      assert.ok(logged.length >= 1, "at least one attempt failed first");
      await store.ping();
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test("a database that does not exist fails at once, without retrying", async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${freshSchemaName("portrait_missing_db")}`;
    const logged: string[] = [];
    await assert.rejects(
      open(url.toString(), 5, (message) => logged.push(message)),
      /^Error: PostgreSQL at .*: database "portrait_missing_db_\w+" does not exist$/,
    );
    assert.deepEqual(logged, []);
  });
});
