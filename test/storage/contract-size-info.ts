/**
 * The storage contract of `getPhotoSizeInfo`: an object and one size, one read. A store that
 * also offers `getPhotoSizeInfoSync` must give the same answers there. And of
 * `getPhotoSizeList`: an object and every size, one read, with `getPhotoSizeListSync` likewise.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Store } from "../../src/photos/store.ts";
import {
  type ContractContext,
  contact,
  insertAll,
  newId,
  newTenant,
  object,
  size,
  user,
} from "./contract-helpers.ts";

type SizeInfoRead = (
  ...args: Parameters<Store["getPhotoSizeInfo"]>
) => ReturnType<Store["getPhotoSizeInfo"]>;

type SizeListRead = (
  ...args: Parameters<Store["getPhotoSizeList"]>
) => ReturnType<Store["getPhotoSizeList"]>;

/** A synchronous read wrapped in a promise, so one test body asks both ways. */
function promised<A extends unknown[], R>(
  sync: ((...args: A) => R) | undefined,
): ((...args: A) => Promise<R>) | undefined {
  return sync && (async (...args: A) => sync(...args));
}

/** Both ways of asking, where the store offers both. */
const READS: { name: string; method: (store: Store) => SizeInfoRead | undefined }[] = [
  { name: "getPhotoSizeInfo", method: (store) => store.getPhotoSizeInfo.bind(store) },
  {
    name: "getPhotoSizeInfoSync",
    method: (store) => promised(store.getPhotoSizeInfoSync?.bind(store)),
  },
];

const LISTS: { name: string; method: (store: Store) => SizeListRead | undefined }[] = [
  { name: "getPhotoSizeList", method: (store) => store.getPhotoSizeList.bind(store) },
  {
    name: "getPhotoSizeListSync",
    method: (store) => promised(store.getPhotoSizeListSync?.bind(store)),
  },
];

/** A user without a photo, a contact of theirs with a 48x48, and a group with 48x48 and 64x64. */
async function ownersWithAndWithoutPhotos(store: Store) {
  const tenant = newTenant();
  const bare = user(tenant);
  const held = contact(tenant, bare.id);
  const group = object(tenant, newId(), "group", { data: { displayName: "G" } });
  await insertAll(store, bare, held, group);
  await store.replacePhoto(tenant, held.id, [size(48, "c")]);
  await store.replacePhoto(tenant, group.id, [size(64, "g"), size(48, "g")]);
  return { tenant, bare, held, group };
}

export function sizeInfoContract(ctx: ContractContext): void {
  for (const { name, method } of READS) sizeInfoTests(ctx, name, method);
  for (const { name, method } of LISTS) sizeListTests(ctx, name, method);
}

function sizeListTests(
  ctx: ContractContext,
  name: string,
  method: (store: Store) => SizeListRead | undefined,
): void {
  test(`${name} gives every size as listPhotoSizes does, after each replacement`, async (t) => {
    const store = ctx.store();
    const list = method(store);
    if (!list) return t.skip("not offered by this store");
    const tenant = newTenant();
    const owner = user(tenant);
    await insertAll(store, owner);
    await store.replacePhoto(tenant, owner.id, [size(240, "a", 70_000), size(48, "a", 100)]);
    const listed = await store.listPhotoSizes(tenant, owner.id);
    assert.deepEqual(await list(tenant, "user", owner.id), { sizes: listed });
    assert.deepEqual(await list(tenant, "user", owner.id), {
      sizes: [
        { edge: 48, etag: '"a-48"', length: 100 },
        { edge: 240, etag: '"a-240"', length: 70_000 },
      ],
    });
    await store.replacePhoto(tenant, owner.id, [size(96, "b", 500)]);
    assert.deepEqual(await list(tenant, "user", owner.id), {
      sizes: [{ edge: 96, etag: '"b-96"', length: 500 }],
    });
    await store.deletePhoto(tenant, owner.id);
    assert.deepEqual(await list(tenant, "user", owner.id), { sizes: [] });
  });

  test(`${name}: no sizes without a photo, nothing for a missing object`, async (t) => {
    const store = ctx.store();
    const list = method(store);
    if (!list) return t.skip("not offered by this store");
    const { tenant, bare, held, group } = await ownersWithAndWithoutPhotos(store);

    assert.deepEqual(await list(tenant, "user", bare.id), { sizes: [] });
    const contactSizes = await list(tenant, "contact", held.id);
    assert.deepEqual(
      contactSizes?.sizes.map((info) => info.etag),
      ['"c-48"'],
    );
    const groupSizes = await list(tenant, "group", group.id);
    assert.deepEqual(
      groupSizes?.sizes.map((info) => info.edge),
      [48, 64],
    );
    // The object must be of the kind asked for, in the tenant asked for.
    assert.equal(await list(tenant, "user", group.id), undefined);
    assert.equal(await list(tenant, "group", held.id), undefined);
    assert.equal(await list(newTenant(), "group", group.id), undefined);
    assert.equal(await list(tenant, "user", newId()), undefined);
  });
}

function sizeInfoTests(
  ctx: ContractContext,
  name: string,
  method: (store: Store) => SizeInfoRead | undefined,
): void {
  test(`${name} gives one size's edge, etag and length, or the largest`, async (t) => {
    const store = ctx.store();
    const info = method(store);
    if (!info) return t.skip("not offered by this store");
    const tenant = newTenant();
    const owner = user(tenant);
    await insertAll(store, owner);
    const sizes = [size(48, "a", 100), size(64, "a", 3000), size(240, "a", 70_000)];
    await store.replacePhoto(tenant, owner.id, sizes);
    const listed = await store.listPhotoSizes(tenant, owner.id);
    assert.deepEqual(await info(tenant, "user", owner.id, 64), { size: listed[1] });
    assert.deepEqual(await info(tenant, "user", owner.id, 64), {
      size: { edge: 64, etag: '"a-64"', length: 3000 },
    });
    assert.deepEqual(await info(tenant, "user", owner.id), {
      size: { edge: 240, etag: '"a-240"', length: 70_000 },
    });
    await store.replacePhoto(tenant, owner.id, [size(96, "b")]);
    assert.deepEqual((await info(tenant, "user", owner.id))?.size?.etag, '"b-96"');
    assert.deepEqual(await info(tenant, "user", owner.id, 64), { size: undefined });
  });

  test(`${name}: no size without a photo, nothing for a missing object`, async (t) => {
    const store = ctx.store();
    const info = method(store);
    if (!info) return t.skip("not offered by this store");
    const { tenant, bare, held, group } = await ownersWithAndWithoutPhotos(store);

    assert.deepEqual(await info(tenant, "user", bare.id, 48), { size: undefined });
    assert.deepEqual(await info(tenant, "user", bare.id), { size: undefined });
    assert.equal((await info(tenant, "contact", held.id, 48))?.size?.etag, '"c-48"');
    assert.equal((await info(tenant, "group", group.id))?.size?.edge, 64);
    // The object must be of the kind asked for, in the tenant asked for.
    assert.equal(await info(tenant, "user", group.id), undefined);
    assert.equal(await info(tenant, "group", held.id, 48), undefined);
    assert.equal(await info(newTenant(), "group", group.id), undefined);
    assert.equal(await info(tenant, "user", newId()), undefined);
  });
}
