/**
 * The SQLite store when its files cannot be written (Store port, "Failures"): a full disk, a
 * database locked by another process past the busy timeout, and files made read-only. Each
 * write rejects with serviceNotAvailable and Retry-After, writes nothing, and the store works
 * again once the cause is gone. Real failures only: a file size limit on a child process, a
 * second connection holding the write lock, and the immutable attribute (which binds root too).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { BUSY_TIMEOUT_MS } from "../../src/storage/sqlite/connection.ts";
import { openSqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";
import { assertPhoto, insertAll, newTenant, size, user } from "./contract-helpers.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const writer = fileURLToPath(new URL("fixtures/sqlite-limited-writer.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "portrait-sqlite-failures-"));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `store-${++files}.db`);

const unavailable = { name: "GraphError", code: "serviceNotAvailable", retryAfter: 5 };

/** A store file holding one user with a small photo. */
async function seeded(path: string) {
  const store = openSqliteStore({ path });
  const t = newTenant();
  const owner = user(t);
  await insertAll(store, owner);
  await store.replacePhoto(t, owner.id, [size(48, "old"), size(96, "old")]);
  return { store, t, owner };
}

/** Sets or clears the immutable attribute; false when this system does not allow it. */
function immutable(on: boolean, paths: string[]): boolean {
  try {
    execFileSync("chattr", [on ? "+i" : "-i", ...paths], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const canMakeImmutable = (() => {
  const probe = join(root, "probe");
  Database(probe).close();
  const ok = immutable(true, [probe]);
  if (ok) immutable(false, [probe]);
  return ok;
})();

describe("SQLite failures", () => {
  test("a full disk (file size limit) rejects the write with serviceNotAvailable and keeps the old photo", async () => {
    const path = freshPath();
    const { store, t, owner } = await seeded(path);
    await store.close();
    // 1 MiB limit (bash counts -f in KiB): the 4 MiB photo cannot be written to the WAL.
    const child = spawn(
      "bash",
      [
        "-c",
        'ulimit -f 1024 && exec "$@"',
        "writer",
        process.execPath,
        "--import",
        "tsx",
        writer,
        path,
        t,
        owner.id,
      ],
      {
        cwd: projectRoot,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [code] = await once(child, "close");
    assert.equal(code, 0, output);
    const [large, between, small] = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(large.error, "serviceNotAvailable", JSON.stringify(large));
    assert.equal(large.retryAfter, 5);
    assert.match(large.cause, /^SQLITE_(FULL|IOERR)/);
    assert.deepEqual(between.etags, [size(48, "old").etag, size(96, "old").etag], "old photo kept");
    assert.deepEqual(small, { name: "small", result: true }, "a write that fits works again");

    const again = openSqliteStore({ path });
    await assertPhoto(again, t, owner.id, [size(48, "small")]);
    await again.close();
  });

  test(`a write lock held by another process past the busy timeout (${BUSY_TIMEOUT_MS} ms) rejects with serviceNotAvailable`, async () => {
    const path = freshPath();
    const { store, t, owner } = await seeded(path);
    const other = new Database(path);
    try {
      other.exec("BEGIN IMMEDIATE");
      await assert.rejects(store.replacePhoto(t, owner.id, [size(48, "new")]), {
        ...unavailable,
        message: "The database is busy.",
      });
      other.exec("ROLLBACK");
      await assertPhoto(store, t, owner.id, [size(48, "old"), size(96, "old")]);
      assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), true);
      await assertPhoto(store, t, owner.id, [size(48, "new")]);
    } finally {
      other.close();
      await store.close();
    }
  });

  test("files made read-only while serving and at open reject writes with serviceNotAvailable", {
    skip: canMakeImmutable ? false : "chattr +i is not available on this system",
  }, async () => {
    const path = freshPath();
    const { store, t, owner } = await seeded(path);
    // Not the -shm file: it is memory-mapped, and SQLite needs it even to read.
    const locked = [path, `${path}-wal`];
    assert.ok(immutable(true, locked));
    try {
      await assert.rejects(store.replacePhoto(t, owner.id, [size(48, "new")]), unavailable);
      await assert.rejects(store.insertObject(user(t)), unavailable);
      await assertPhoto(store, t, owner.id, [size(48, "old"), size(96, "old")]);
      const fresh = openSqliteStore({ path });
      try {
        await assert.rejects(fresh.deletePhoto(t, owner.id), {
          ...unavailable,
          message: "The database cannot be written.",
        });
      } finally {
        await fresh.close();
      }
    } finally {
      immutable(false, locked);
    }
    assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), true);
    await assertPhoto(store, t, owner.id, [size(48, "new")]);
    await store.close();
  });
});
