/** The cascading-delete part of the storage contract. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DirectoryObject, Store } from "../../src/photos/store.ts";
import {
  assertGone,
  assertPhoto,
  type ContractContext,
  contact,
  folder,
  insertAll,
  newId,
  newTenant,
  object,
  size,
  user,
} from "./contract-helpers.ts";

/** A mailbox: a user with a root contact, a folder with a contact and a nested folder. */
async function mailbox(store: Store, tenantId: string, userId?: string) {
  const owner = user(tenantId, userId);
  const rootContact = contact(tenantId, owner.id);
  const outer = folder(tenantId, owner.id);
  const inOuter = contact(tenantId, owner.id, outer.id);
  const inner = folder(tenantId, owner.id, outer.id);
  const inInner = contact(tenantId, owner.id, inner.id);
  const all = [owner, rootContact, outer, inOuter, inner, inInner];
  await insertAll(store, ...all);
  for (const item of all) await givePhoto(store, item);
  return { owner, rootContact, outer, inOuter, inner, inInner, all };
}

async function givePhoto(store: Store, item: DirectoryObject): Promise<void> {
  assert.equal(await store.replacePhoto(item.tenantId, item.id, photoOf(item)), "written");
}

const photoOf = (item: DirectoryObject) => [size(48, item.id), size(96, item.id)];

async function assertKept(store: Store, ...items: DirectoryObject[]): Promise<void> {
  for (const item of items) {
    assert.deepEqual(await store.getObject(item.tenantId, item.kind, item.id), item, item.id);
    await assertPhoto(store, item.tenantId, item.id, photoOf(item));
  }
}

export function deleteContract(ctx: ContractContext): void {
  test("deleting a user deletes its contacts, folders, folder contacts and all their photos", async () => {
    const store = ctx.store();
    const [t, other] = [newTenant(), newTenant()];
    const doomed = await mailbox(store, t);
    const neighbour = await mailbox(store, t);
    const group = object(t, newId(), "group");
    await insertAll(store, group);
    await givePhoto(store, group);
    const twin = await mailbox(store, other, doomed.owner.id);

    assert.equal(await store.deleteObject(t, doomed.owner.id), true);
    for (const item of doomed.all) await assertGone(store, item);
    await assertKept(store, ...neighbour.all, group, ...twin.all);
    assert.equal(await store.deleteObject(t, doomed.owner.id), false, "already gone");
  });

  test("deleting a folder deletes what it holds at any depth, and nothing else", async () => {
    const store = ctx.store();
    const t = newTenant();
    const box = await mailbox(store, t);
    assert.equal(await store.deleteObject(t, box.outer.id), true);
    for (const item of [box.outer, box.inOuter, box.inner, box.inInner]) {
      await assertGone(store, item);
    }
    await assertKept(store, box.owner, box.rootContact);
  });

  test("deleting a contact deletes only it and its photo", async () => {
    const store = ctx.store();
    const t = newTenant();
    const box = await mailbox(store, t);
    assert.equal(await store.deleteObject(t, box.inOuter.id), true);
    await assertGone(store, box.inOuter);
    const { owner, rootContact, outer, inner, inInner } = box;
    await assertKept(store, owner, rootContact, outer, inner, inInner);
  });

  test("deleteObject is false for an unknown id or another tenant's object", async () => {
    const store = ctx.store();
    const [t, other] = [newTenant(), newTenant()];
    const box = await mailbox(store, t);
    assert.equal(await store.deleteObject(t, user(t).id), false);
    assert.equal(await store.deleteObject(other, box.owner.id), false);
    await assertKept(store, ...box.all);
  });
}
