/**
 * The SQLite store when its files cannot be written (Store port, "Failures"): a full disk, a
 * database locked by another process past the busy timeout, and files made read-only. Each
 * write rejects with serviceNotAvailable and Retry-After, writes nothing, and the store works
 * again once the cause is gone. A directory that is read-only at open gives a read-only store,
 * or, when there is no current database to serve, an error naming the directory.
 * Real failures only: a file size limit on a child process, a second connection holding the
 * write lock, and the immutable attribute (which binds root too).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
/** A new empty directory for one store. */
const freshDir = (): string => {
  const dir = join(root, `dir-${++files}`);
  mkdirSync(dir);
  return dir;
};

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

/** Collects the process warnings emitted while `work` runs (they are emitted on the next tick). */
async function warningsDuring(work: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on("warning", listener);
  try {
    await work();
    await new Promise((done) => setImmediate(done));
  } finally {
    process.off("warning", listener);
  }
  return seen;
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
    assert.deepEqual(small, { name: "small", result: "written" }, "a write that fits works again");

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
      assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), "written");
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
    assert.equal(await store.replacePhoto(t, owner.id, [size(48, "new")]), "written");
    await assertPhoto(store, t, owner.id, [size(48, "new")]);
    await store.close();
  });

  const noChattr = canMakeImmutable ? false : "chattr +i is not available on this system";

  test("a database in a directory read-only at open is served read-only: reads and ping work, writes reject with serviceNotAvailable", {
    skip: noChattr,
  }, async () => {
    const dir = freshDir();
    const path = join(dir, "portrait.db");
    const { store, t, owner } = await seeded(path);
    await store.close();
    const old = [size(48, "old"), size(96, "old")];
    assert.deepEqual(readdirSync(dir), ["portrait.db"], "a clean close leaves no -wal or -shm");
    assert.ok(immutable(true, [dir]));
    try {
      const warnings = await warningsDuring(async () => {
        const readOnly = openSqliteStore({ path });
        try {
          await assertPhoto(readOnly, t, owner.id, old);
          await readOnly.ping();
          await assert.rejects(readOnly.replacePhoto(t, owner.id, [size(48, "new")]), {
            ...unavailable,
            message: "The database cannot be written.",
          });
          await assert.rejects(readOnly.insertObject(user(t)), unavailable);
          await assert.rejects(readOnly.deleteObject(t, owner.id), unavailable);
          await assertPhoto(readOnly, t, owner.id, old);
        } finally {
          await readOnly.close();
        }
      });
      const said = warnings.filter(
        (w) => (w as { code?: string }).code === "PORTRAIT_SQLITE_READ_ONLY",
      );
      assert.equal(said.length, 1, "one warning says the store is read-only");
      assert.match(said[0]?.message ?? "", /readOnly: the directory .* is read-only/);
      assert.ok(said[0]?.message.includes(dir), "the warning names the directory");
      assert.deepEqual(readdirSync(dir), ["portrait.db"], "nothing was created next to it");
    } finally {
      immutable(false, [dir]);
    }
    const again = openSqliteStore({ path });
    assert.equal(await again.replacePhoto(t, owner.id, [size(48, "new")]), "written");
    await assertPhoto(again, t, owner.id, [size(48, "new")]);
    await again.close();
  });

  test("a directory read-only at open without a current database to serve fails to open, naming the directory", {
    skip: noChattr,
  }, async () => {
    /** Opening the store in `dir` fails with a message naming it as read-only, and `detail`. */
    const failsNaming = (dir: string, detail: RegExp) =>
      assert.throws(
        () => openSqliteStore({ path: join(dir, "portrait.db") }),
        (error: Error) => {
          assert.ok(error.message.includes(`the directory ${dir} is read-only`), error.message);
          assert.match(error.message, detail);
          return true;
        },
      );

    const empty = freshDir();
    // A database that needs a migration: WAL mode, but no schema yet (user_version 0).
    const unmigrated = freshDir();
    const bare = new Database(join(unmigrated, "portrait.db"));
    bare.pragma("journal_mode = WAL");
    bare.exec("CREATE TABLE other (a)");
    bare.close();
    // Committed changes still in the -wal, with no -shm (copied from an open store).
    const pending = freshDir();
    const source = freshPath();
    const { store } = await seeded(source);
    copyFileSync(source, join(pending, "portrait.db"));
    copyFileSync(`${source}-wal`, join(pending, "portrait.db-wal"));
    await store.close();

    const dirs = [empty, unmigrated, pending];
    assert.ok(immutable(true, dirs));
    try {
      failsNaming(empty, /there is no database to serve/);
      failsNaming(unmigrated, /schema is version 0, not 1: it needs a migration/);
      failsNaming(pending, /portrait\.db-wal holds changes that only a writable open can merge/);
    } finally {
      immutable(false, dirs);
    }
  });
});
