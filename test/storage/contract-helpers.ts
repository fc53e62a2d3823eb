/** Builders and assertions shared by the storage contract suite. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { DirectoryObject, Store, StoredSize } from "../../src/photos/store.ts";

/** What every contract test gets: the store opened for it (closed after it). */
export interface ContractContext {
  store(): Store;
}

/** A fresh tenant per test keeps tests independent even on a shared database. */
export const newTenant = (): string => randomUUID();
export const newId = (): string => randomUUID();

export function user(tenantId: string, id = newId(), uniqueKey: string | null = `${id}@x.test`) {
  return object(tenantId, id, "user", { uniqueKey, data: { displayName: `User ${id}` } });
}

export function contact(tenantId: string, ownerId: string, parentId: string | null = null) {
  return object(tenantId, newId(), "contact", { ownerId, parentId, data: { givenName: "C" } });
}

export function folder(tenantId: string, ownerId: string, parentId: string | null = null) {
  return object(tenantId, newId(), "contactFolder", { ownerId, parentId, data: { n: "F" } });
}

export function object(
  tenantId: string,
  id: string,
  kind: DirectoryObject["kind"],
  fields: Partial<Pick<DirectoryObject, "ownerId" | "parentId" | "uniqueKey" | "data">> = {},
): DirectoryObject {
  return {
    tenantId,
    id,
    kind,
    ownerId: fields.ownerId ?? null,
    parentId: fields.parentId ?? null,
    uniqueKey: fields.uniqueKey ?? null,
    data: fields.data ?? {},
  };
}

export async function insertAll(store: Store, ...objects: DirectoryObject[]): Promise<void> {
  for (const item of objects) {
    assert.deepEqual(await store.insertObject(item), { ok: true }, `insert ${item.id}`);
  }
}

/** A size whose bytes are a pattern derived from `seed` and the edge. */
export function size(edge: number, seed: string, length = edge * 7): StoredSize {
  const bytes = new Uint8Array(length);
  let h = 0;
  for (const char of `${seed}:${edge}`) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  for (let i = 0; i < length; i++) bytes[i] = (h + i * 13 + (i >> 8)) & 0xff;
  return { edge, etag: `"${seed}-${edge}"`, bytes };
}

export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, label = "bytes"): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  assert.equal(a.length, e.length, `${label}: length`);
  assert.ok(a.equals(e), `${label}: content differs`);
}

/** Asserts the stored photo is exactly `sizes`: same edges, etags and bytes. */
export async function assertPhoto(
  store: Store,
  tenantId: string,
  ownerId: string,
  sizes: readonly StoredSize[],
): Promise<void> {
  const expected = [...sizes].sort((a, b) => a.edge - b.edge);
  assert.deepEqual(
    await store.listPhotoSizes(tenantId, ownerId),
    expected.map(({ edge, etag, bytes }) => ({ edge, etag, length: bytes.byteLength })),
  );
  for (const want of expected) {
    const got = await store.getPhotoSize(tenantId, ownerId, want.edge);
    assert.ok(got, `size ${want.edge} is missing`);
    assert.equal(got.edge, want.edge);
    assert.equal(got.etag, want.etag);
    assertSameBytes(got.bytes, want.bytes, `size ${want.edge}`);
  }
}

export async function assertGone(store: Store, item: DirectoryObject): Promise<void> {
  assert.equal(await store.getObject(item.tenantId, item.kind, item.id), undefined, item.id);
  assert.deepEqual(await store.listPhotoSizes(item.tenantId, item.id), [], `photo of ${item.id}`);
}

export const ids = (objects: readonly DirectoryObject[]): string[] => objects.map((o) => o.id);
