/**
 * The photo byte cache (`src/photos/byte-cache.ts`): bounded by bytes, random eviction, and once
 * full a new entry let in only at some misses. Draws come from a seeded generator, so every run
 * makes the same choices.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRandom } from "../../scripts/crash-soak/model.ts";
import { ADMIT_WHEN_FULL, createByteCache } from "../../src/photos/byte-cache.ts";

const bytesOf = (length: number, fill: number) => new Uint8Array(length).fill(fill);

/** Asks for `keys` in turn, `passes` times, putting each miss in; the share of hits. */
function cycle(cache: ReturnType<typeof createByteCache>, keys: number, passes: number): number {
  let hits = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let key = 0; key < keys; key++) {
      const etag = `tag-${key}`;
      if (cache.get(etag)) hits++;
      else cache.set(etag, bytesOf(100, key % 256));
    }
  }
  return hits / (keys * passes);
}

describe("the photo byte cache", () => {
  test("holds what it was given, up to its bound in bytes; an entry above the bound is ignored", () => {
    const cache = createByteCache({ maxBytes: 300 });
    const first = bytesOf(100, 1);
    cache.set("a", first);
    cache.set("b", bytesOf(200, 2));
    assert.equal(cache.get("a"), first, "the same bytes, not a copy");
    assert.equal(cache.get("b")?.[0], 2);
    cache.set("huge", bytesOf(301, 3));
    assert.equal(cache.get("huge"), undefined);
    assert.deepEqual(cache.stats(), { entries: 2, bytes: 300, maxBytes: 300 });
  });

  test("until full, every entry is let in, whatever the draw", () => {
    const cache = createByteCache({ maxBytes: 1000, random: () => 0.999 });
    for (let key = 0; key < 10; key++) cache.set(`tag-${key}`, bytesOf(100, key));
    assert.deepEqual(cache.stats(), { entries: 10, bytes: 1000, maxBytes: 1000 });
  });

  test("once full, a miss lets its entry in only when the draw falls in the admitted share", () => {
    let draw = 0.5;
    const cache = createByteCache({ maxBytes: 200, admitWhenFull: 4, random: () => draw });
    cache.set("a", bytesOf(100, 1));
    cache.set("b", bytesOf(100, 2));

    cache.set("c", bytesOf(100, 3));
    assert.equal(cache.get("c"), undefined, "a draw of 0.5 is outside one in four");
    assert.ok(cache.get("a") && cache.get("b"), "nothing was evicted for it");

    draw = 0.2; // inside one in four; the same draw picks the entry to evict (slot 0 of 2)
    cache.set("c", bytesOf(100, 3));
    assert.equal(cache.get("c")?.[0], 3);
    assert.equal(cache.get("a"), undefined, "one entry made room");
    assert.deepEqual(cache.stats(), { entries: 2, bytes: 200, maxBytes: 200 });
  });

  test("a pass over more photos than fit hits on nearly the share that fits", () => {
    // 1,000 photos of 100 bytes in turn, 700 fit: no policy can hit on more than 70%.
    const fits = 0.7;
    const gated = cycle(createByteCache({ maxBytes: 70_000, random: createRandom(1) }), 1000, 40);
    const everyMiss = cycle(
      createByteCache({ maxBytes: 70_000, admitWhenFull: 1, random: createRandom(1) }),
      1000,
      40,
    );
    assert.ok(gated > fits * 0.9, `hits ${gated} with one miss in ${ADMIT_WHEN_FULL} let in`);
    assert.ok(gated <= fits, `hits ${gated} cannot exceed what fits`);
    assert.ok(everyMiss < gated - 0.1, `replacing on every miss hits less: ${everyMiss}`);
  });

  test("a photo asked for again and again gets in while the cache is full of others", () => {
    const cache = createByteCache({ maxBytes: 1000, random: createRandom(7) });
    for (let key = 0; key < 10; key++) cache.set(`old-${key}`, bytesOf(100, key));
    let misses = 0;
    while (!cache.get("hot")) {
      misses++;
      cache.set("hot", bytesOf(100, 255));
      assert.ok(misses < 200, "let in within a bounded number of misses");
    }
    assert.equal(cache.stats().bytes, 1000);
  });

  test("refuses bounds that are not whole numbers", () => {
    assert.throws(() => createByteCache({ maxBytes: -1 }), RangeError);
    assert.throws(() => createByteCache({ maxBytes: 10, admitWhenFull: 0 }), RangeError);
    assert.throws(() => createByteCache({ maxBytes: 10, admitWhenFull: 1.5 }), RangeError);
  });
});
