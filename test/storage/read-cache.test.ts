import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createReadCache, type ReadCacheOptions } from "../../src/storage/sqlite/read-cache.ts";

/** A cache on a clock and a data_version the test moves; counts loads and version checks. */
function harness(overrides: Partial<ReadCacheOptions> = {}) {
  const state = { clock: 0, version: 1, checks: 0, loads: 0 };
  const cache = createReadCache({
    maxEntries: 100,
    checkEveryMs: 1,
    dataVersion: () => {
      state.checks++;
      return state.version;
    },
    now: () => state.clock,
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

  test("a commit by another connection empties it once the check interval has passed", () => {
    const { state, read } = harness();
    read("a");
    state.version = 2;
    state.clock = 0.5;
    assert.equal(read("a", "new"), "a", "within the interval the old answer may stand");
    state.clock = 1;
    assert.equal(read("a", "new"), "new", "after it, the change is seen");
    assert.equal(state.loads, 2);
  });

  test("asks data_version at most once per interval, and again after it", () => {
    const { state, read } = harness({ checkEveryMs: 10 });
    for (let i = 0; i < 50; i++) {
      state.clock = i * 0.1;
      read(`k${i % 5}`);
    }
    assert.equal(state.checks, 1);
    state.clock = 10;
    read("k0");
    assert.equal(state.checks, 2);
  });

  test("an unchanged data_version keeps the answers", () => {
    const { state, read } = harness();
    read("a");
    state.clock = 100;
    read("a");
    assert.equal(state.checks, 2);
    assert.equal(state.loads, 1);
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
    assert.equal(state.checks, 0);
    assert.equal(cache.size(), 0);
  });
});
