import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type CommitWatch, watchCommits } from "../../src/storage/sqlite/commit-watch.ts";
import { commitWindow } from "../../src/storage/sqlite/commit-window.ts";
import { openSqliteConnection } from "../../src/storage/sqlite/connection.ts";
import { createReadCache, type ReadCacheOptions } from "../../src/storage/sqlite/read-cache.ts";

/** A cache whose "another connection committed" signal the test raises; counts loads. */
function harness(overrides: Partial<ReadCacheOptions> = {}) {
  const state = { committed: false, asked: 0, loads: 0 };
  const cache = createReadCache({
    maxEntries: 100,
    changed: () => {
      state.asked++;
      const was = state.committed;
      state.committed = false;
      return was;
    },
    ...overrides,
  });
  const read = (key: string, value: string = key) =>
    cache.get(key, () => {
      state.loads++;
      return value;
    });
  return { cache, state, read };
}

describe("the SQLite read cache", () => {
  test("answers a repeated read from memory", () => {
    const { state, read } = harness();
    assert.equal(read("a"), "a");
    assert.equal(read("a"), "a");
    assert.equal(read("b"), "b");
    assert.equal(state.loads, 2);
  });

  test("keeps undefined answers too (an owner that does not exist)", () => {
    const { cache, state } = harness();
    const load = () => {
      state.loads++;
      return undefined;
    };
    assert.equal(cache.get("missing", load), undefined);
    assert.equal(cache.get("missing", load), undefined);
    assert.equal(state.loads, 1);
  });

  test("clear() forgets every answer (this store wrote)", () => {
    const { cache, state, read } = harness();
    read("a");
    cache.clear();
    assert.equal(cache.size(), 0);
    assert.equal(read("a", "new"), "new");
    assert.equal(state.loads, 2);
  });

  test("a commit by another connection is seen by the very next read", () => {
    const { state, read } = harness();
    read("a");
    read("b");
    state.committed = true;
    assert.equal(read("a", "new"), "new");
    assert.equal(read("b", "new"), "new", "every answer was dropped");
    assert.equal(state.asked, 4, "asked before every read");
  });

  test("is bounded: the oldest answer is dropped for a new one", () => {
    const { cache, state, read } = harness({ maxEntries: 2 });
    read("a");
    read("b");
    read("c");
    assert.equal(cache.size(), 2);
    read("b");
    read("c");
    assert.equal(state.loads, 3);
    read("a");
    assert.equal(state.loads, 4);
  });

  test("maxEntries 0 turns it off", () => {
    const { cache, state, read } = harness({ maxEntries: 0 });
    read("a");
    read("a");
    assert.equal(state.loads, 2);
    assert.equal(cache.size(), 0);
  });
});

describe("watching another connection's commits", () => {
  const root = mkdtempSync(join(tmpdir(), "portrait-commit-watch-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A watch on `mine` for commits made through `other`, both on one new file. */
  function pair(name: string) {
    const file = join(root, name);
    const mine = openSqliteConnection(file);
    const other = openSqliteConnection(file);
    const version = mine.prepare<[], number>("PRAGMA data_version").pluck();
    let versionAsked = 0;
    const watch = watchCommits(mine.name, () => {
      versionAsked++;
      return version.get() ?? 0;
    });
    const close = () => {
      watch.close();
      mine.close();
      other.close();
    };
    return { mine, other, watch, versionAsked: () => versionAsked, close };
  }

  test("reads the wal-index: every commit elsewhere is a change, nothing else is", () => {
    const { mine, other, watch, versionAsked, close } = pair("watch.db");
    try {
      assert.equal(watch.changed(), true, "the first look is a change");
      assert.equal(watch.changed(), false);
      other.exec("CREATE TABLE t (x)");
      assert.equal(watch.changed(), true);
      assert.equal(watch.changed(), false);
      for (let i = 0; i < 5; i++) {
        other.prepare("INSERT INTO t VALUES (?)").run(i);
        assert.equal(watch.changed(), true, `commit ${i}`);
      }
      mine.prepare("SELECT count(*) FROM t").get();
      other.prepare("SELECT count(*) FROM t").get();
      assert.equal(watch.changed(), false, "reads are not changes");
      other.pragma("wal_checkpoint(TRUNCATE)");
      other.prepare("INSERT INTO t VALUES (99)").run();
      assert.equal(watch.changed(), true, "a commit into a restarted WAL");
      assert.equal(versionAsked(), 0, "no transaction was needed");
    } finally {
      close();
    }
  });

  test("without a wal-index file it asks data_version, as exactly", () => {
    const db = openSqliteConnection(":memory:");
    const version = db.prepare<[], number>("PRAGMA data_version").pluck();
    let asked = 0;
    const watch = watchCommits(db.name, () => {
      asked++;
      return version.get() ?? 0;
    });
    try {
      assert.equal(watch.changed(), true);
      assert.equal(watch.changed(), false);
      db.exec("CREATE TABLE t (x)");
      assert.equal(watch.changed(), false, "data_version ignores the connection's own commits");
      assert.equal(asked, 3);
    } finally {
      watch.close();
      db.close();
    }
  });
});

describe("the commit window", () => {
  /** A watch that reports a change at every look, and counts its looks. */
  function countingWatch() {
    const counts = { looks: 0 };
    const watch: CommitWatch = {
      changed: () => {
        counts.looks++;
        return true;
      },
      close: () => {},
    };
    return { watch, counts };
  }

  test("looks at most once per window, and again as soon as a window has passed", () => {
    const { watch, counts } = countingWatch();
    let clock = 1000;
    const window = commitWindow(watch, 1, () => clock);
    assert.equal(window.changed(), true, "the first read looks");
    clock += 0.4;
    assert.equal(window.changed(), false, "within the window: no look");
    clock += 0.59;
    assert.equal(window.changed(), false);
    assert.equal(counts.looks, 1);
    clock += 0.01;
    assert.equal(window.changed(), true, "a window after the last look: looks again");
    assert.equal(counts.looks, 2);
  });

  test("a write is reported done no sooner than one window after its commit", async () => {
    const { watch } = countingWatch();
    const window = commitWindow(watch, 5);
    for (let i = 0; i < 20; i++) {
      const committed = performance.now();
      await window.settled();
      const waited = performance.now() - committed;
      assert.ok(waited >= 5, `waited ${waited} ms`);
    }
  });
});
