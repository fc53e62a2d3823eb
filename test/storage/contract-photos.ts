/** The photo half of the storage contract. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PHOTO_SIZES } from "../../src/photos/sizes.ts";
import type { StoredSize } from "../../src/photos/store.ts";
import {
  assertPhoto,
  type ContractContext,
  insertAll,
  newTenant,
  size,
  user,
} from "./contract-helpers.ts";

export function photoContract(ctx: ContractContext): void {
  test("replacePhoto stores sizes that read back byte for byte with their etag", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    const everyByte = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
    // A view into the middle of a larger buffer: only the view's bytes are the photo.
    const backing = new Uint8Array(4096).fill(0xee);
    backing.set(everyByte.subarray(0, 100), 1000);
    const sizes: StoredSize[] = [
      { edge: 48, etag: '"all-bytes"', bytes: everyByte },
      { edge: 64, etag: 'W/"odd \\" etag"', bytes: backing.subarray(1000, 1100) },
      size(648, "large", 600_000),
    ];
    assert.equal(await store.replacePhoto(t, owner.id, sizes), "written");
    await assertPhoto(store, t, owner.id, sizes);
  });

  test("replacePhoto replaces the whole set: sizes not in the new set vanish", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    const first = [size(48, "v1"), size(64, "v1"), size(96, "v1")];
    assert.equal(await store.replacePhoto(t, owner.id, first), "written");
    const second = [size(120, "v2"), size(64, "v2")];
    assert.equal(await store.replacePhoto(t, owner.id, second), "written");
    await assertPhoto(store, t, owner.id, second);
    assert.equal(await store.getPhotoSize(t, owner.id, 48), undefined);
    assert.equal(await store.replacePhoto(t, owner.id, []), "written", "an empty set is allowed");
    assert.deepEqual(await store.listPhotoSizes(t, owner.id), []);
  });

  test("a failing replacePhoto (a repeated edge) rejects and leaves the old photo", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    const old = [size(48, "old"), size(96, "old")];
    await store.replacePhoto(t, owner.id, old);
    await assert.rejects(
      store.replacePhoto(t, owner.id, [size(48, "new"), size(64, "new"), size(64, "again")]),
    );
    await assertPhoto(store, t, owner.id, old);
  });

  test("replacePhoto on a missing owner is missing and writes nothing", async () => {
    const store = ctx.store();
    const [t, other] = [newTenant(), newTenant()];
    const absent = user(t);
    const elsewhere = user(other);
    await insertAll(store, elsewhere);
    assert.equal(await store.replacePhoto(t, absent.id, [size(48, "x")]), "missing");
    assert.equal(await store.replacePhoto(t, elsewhere.id, [size(48, "x")]), "missing");
    assert.deepEqual(await store.listPhotoSizes(t, absent.id), []);
    await insertAll(store, absent, user(t, elsewhere.id));
    assert.deepEqual(await store.listPhotoSizes(t, absent.id), [], "nothing left behind");
    assert.deepEqual(await store.listPhotoSizes(t, elsewhere.id), []);
    assert.deepEqual(await store.listPhotoSizes(other, elsewhere.id), []);
  });

  test("deletePhoto removes every size, keeps the object; missing when there is none", async () => {
    const store = ctx.store();
    const t = newTenant();
    const [owner, neighbour] = [user(t), user(t)];
    await insertAll(store, owner, neighbour);
    await store.replacePhoto(t, owner.id, [size(48, "a"), size(64, "a")]);
    await store.replacePhoto(t, neighbour.id, [size(48, "n")]);
    assert.equal(await store.deletePhoto(t, owner.id), "written");
    assert.deepEqual(await store.listPhotoSizes(t, owner.id), []);
    assert.equal(await store.getPhotoSize(t, owner.id, 48), undefined);
    assert.deepEqual(await store.getObject(t, "user", owner.id), owner);
    await assertPhoto(store, t, neighbour.id, [size(48, "n")]);
    assert.equal(await store.deletePhoto(t, owner.id), "missing");
    assert.equal(await store.deletePhoto(t, user(t).id), "missing");
    assert.equal(await store.deletePhoto(newTenant(), neighbour.id), "missing");
    await assertPhoto(store, t, neighbour.id, [size(48, "n")]);
  });

  test("listPhotoSizes lists smallest first with each length; empty without a photo", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    assert.deepEqual(await store.listPhotoSizes(t, owner.id), []);
    const edges = [360, 48, 648, 96];
    await store.replacePhoto(
      t,
      owner.id,
      edges.map((edge) => size(edge, "s", edge * 3 + 1)),
    );
    assert.deepEqual(
      await store.listPhotoSizes(t, owner.id),
      [48, 96, 360, 648].map((edge) => ({ edge, etag: `"s-${edge}"`, length: edge * 3 + 1 })),
    );
    assert.deepEqual(await store.listPhotoSizes(t, user(t).id), []);
  });

  test("getPhotoSize is undefined for a missing edge, owner or tenant", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    await store.replacePhoto(t, owner.id, [size(48, "g")]);
    assert.equal(await store.getPhotoSize(t, owner.id, 64), undefined);
    assert.equal(await store.getPhotoSize(t, user(t).id, 48), undefined);
    assert.equal(await store.getPhotoSize(newTenant(), owner.id, 48), undefined);
    assert.ok(await store.getPhotoSize(t, owner.id, 48));
  });

  test("getPhotoSize without an edge reads the largest size, or undefined", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    assert.equal(await store.getPhotoSize(t, owner.id), undefined);
    await store.replacePhoto(t, owner.id, [size(48, "a"), size(240, "b"), size(96, "c")]);
    const largest = await store.getPhotoSize(t, owner.id);
    assert.equal(largest?.edge, 240);
    assert.deepEqual(largest, await store.getPhotoSize(t, owner.id, 240));
    await store.replacePhoto(t, owner.id, [size(64, "d")]);
    assert.equal((await store.getPhotoSize(t, owner.id))?.edge, 64);
    assert.equal(await store.getPhotoSize(newTenant(), owner.id), undefined);
  });

  test("photos of the same owner id in two tenants are separate", async () => {
    const store = ctx.store();
    const [a, b] = [newTenant(), newTenant()];
    const inA = user(a);
    const inB = user(b, inA.id);
    await insertAll(store, inA, inB);
    await store.replacePhoto(a, inA.id, [size(48, "A"), size(64, "A")]);
    await store.replacePhoto(b, inB.id, [size(96, "B")]);
    await assertPhoto(store, a, inA.id, [size(48, "A"), size(64, "A")]);
    await assertPhoto(store, b, inB.id, [size(96, "B")]);
    await store.deletePhoto(b, inB.id);
    await assertPhoto(store, a, inA.id, [size(48, "A"), size(64, "A")]);
  });

  test("20 concurrent replacePhoto calls on one owner end with exactly one complete set", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    // Write w has the first (w % 9) + 1 sizes, or, for odd w, the last ones instead.
    const setOf = (w: number): StoredSize[] => {
      const count = (w % PHOTO_SIZES.length) + 1;
      const edges = w % 2 === 0 ? PHOTO_SIZES.slice(0, count) : PHOTO_SIZES.slice(-count);
      return edges.map((edge) => size(edge, `w${w}`, 2000 + w));
    };
    const writes = Array.from({ length: 20 }, (_, w) => w);
    const results = await Promise.all(writes.map((w) => store.replacePhoto(t, owner.id, setOf(w))));
    assert.deepEqual(results, Array(20).fill("written"));
    const stored = await store.listPhotoSizes(t, owner.id);
    const winners = new Set(stored.map((s) => /^"w(\d+)-/.exec(s.etag)?.[1]));
    assert.equal(winners.size, 1, `sizes from several writes: ${[...winners].join(", ")}`);
    const winner = Number([...winners][0]);
    await assertPhoto(store, t, owner.id, setOf(winner));
  });

  test("a condition is checked in the write's transaction: unmatched writes nothing", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    const any = { exists: true } as const;
    assert.equal(await store.deletePhoto(t, owner.id, any), "unmatched", "no photo to match");
    assert.equal(await store.replacePhoto(t, owner.id, [size(48, "x")], any), "unmatched");
    assert.deepEqual(await store.listPhotoSizes(t, owner.id), []);
    const first = [size(48, "a"), size(96, "a")];
    await store.replacePhoto(t, owner.id, first);
    const stale = { anyOf: [size(48, "gone").etag] };
    assert.equal(await store.replacePhoto(t, owner.id, [size(48, "b")], stale), "unmatched");
    assert.equal(await store.deletePhoto(t, owner.id, stale), "unmatched");
    await assertPhoto(store, t, owner.id, first);
    const second = [size(64, "c")];
    const current = { anyOf: ["other", first[1]?.etag ?? ""] };
    assert.equal(await store.replacePhoto(t, owner.id, second, current), "written");
    await assertPhoto(store, t, owner.id, second);
    assert.equal(await store.deletePhoto(t, owner.id, any), "written");
    assert.deepEqual(await store.listPhotoSizes(t, owner.id), []);
  });

  test("concurrent writes with the same condition: exactly one is written", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    await insertAll(store, owner);
    const base = [size(48, "base")];
    await store.replacePhoto(t, owner.id, base);
    const condition = { anyOf: [base[0]?.etag ?? ""] };
    const writes = Array.from({ length: 8 }, (_, w) => [size(48, `c${w}`)]);
    const results = await Promise.all(
      writes.map((sizes) => store.replacePhoto(t, owner.id, sizes, condition)),
    );
    assert.equal(results.filter((r) => r === "written").length, 1, results.join(" "));
    assert.equal(results.filter((r) => r === "unmatched").length, 7);
    const winner = writes[results.indexOf("written")] ?? [];
    await assertPhoto(store, t, owner.id, winner);
    const deletes = await Promise.all(
      [1, 2, 3].map(() => store.deletePhoto(t, owner.id, condition)),
    );
    assert.deepEqual(deletes, ["unmatched", "unmatched", "unmatched"]);
    const now = { anyOf: [winner[0]?.etag ?? ""] };
    const removals = await Promise.all([1, 2].map(() => store.deletePhoto(t, owner.id, now)));
    assert.deepEqual(removals.sort(), ["unmatched", "written"]);
  });
}
