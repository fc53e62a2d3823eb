/** The directory-object half of the storage contract. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ContractContext,
  contact,
  folder,
  ids,
  insertAll,
  newId,
  newTenant,
  object,
  user,
} from "./contract-helpers.ts";

export function objectContract(ctx: ContractContext): void {
  test("insertObject keeps every field and getObject returns it", async () => {
    const store = ctx.store();
    const t = newTenant();
    const owner = user(t);
    const item = object(t, newId(), "contact", {
      ownerId: owner.id,
      parentId: newId(),
      uniqueKey: "Key-With-Case",
      data: { name: "Zoë 🙂", n: 1.5, ok: false, none: null, list: [1, "two", { three: 3 }] },
    });
    assert.deepEqual(await store.insertObject(item), { ok: true });
    assert.deepEqual(await store.getObject(t, "contact", item.id), item);
    assert.deepEqual(await store.findByUniqueKey(t, "contact", "Key-With-Case"), item);
  });

  test("getObject and findByUniqueKey are scoped to tenant and kind", async () => {
    const store = ctx.store();
    const [a, b] = [newTenant(), newTenant()];
    const alice = user(a, newId(), "alice@x.test");
    await insertAll(store, alice);
    assert.equal(await store.getObject(a, "group", alice.id), undefined);
    assert.equal(await store.getObject(b, "user", alice.id), undefined);
    assert.equal(await store.getObject(a, "user", newId()), undefined);
    assert.equal(await store.findByUniqueKey(a, "group", "alice@x.test"), undefined);
    assert.equal(await store.findByUniqueKey(b, "user", "alice@x.test"), undefined);
    assert.equal(await store.findByUniqueKey(a, "user", "ALICE@x.test"), undefined);
  });

  test("a key or tenant with a NUL character finds nothing, and does not fail", async () => {
    const store = ctx.store();
    const t = newTenant();
    const alice = user(t, newId(), "alice@x.test");
    await insertAll(store, alice);
    for (const key of ["\u0000", `${alice.id}\u0000`, "alice@x.test\u0000"]) {
      assert.equal(await store.getObject(t, "user", key), undefined);
      assert.equal(await store.findByUniqueKey(t, "user", key), undefined);
      assert.deepEqual(await store.listPhotoSizes(t, key), []);
      assert.equal(await store.getPhotoSize(t, key), undefined);
      assert.equal(await store.getPhotoSizeInfo(t, "user", key), undefined);
    }
    assert.equal(await store.getObject(`${t}\u0000`, "user", alice.id), undefined);
    assert.deepEqual(await store.getObject(t, "user", alice.id), alice);
  });

  test("the same id and unique key in two tenants are distinct objects", async () => {
    const store = ctx.store();
    const [a, b] = [newTenant(), newTenant()];
    const id = newId();
    const inA = { ...user(a, id, "same@x.test"), data: { tenant: "A" } };
    const inB = { ...user(b, id, "same@x.test"), data: { tenant: "B" } };
    await insertAll(store, inA, inB);
    assert.deepEqual(await store.getObject(a, "user", id), inA);
    assert.deepEqual(await store.getObject(b, "user", id), inB);
    assert.deepEqual(await store.findByUniqueKey(b, "user", "same@x.test"), inB);
    assert.deepEqual(await store.listObjects(a, "user"), [inA]);
    assert.deepEqual(await store.listObjects(b, "user"), [inB]);
  });

  test("insertObject reports duplicateId for an id taken by any kind, and keeps the first", async () => {
    const store = ctx.store();
    const t = newTenant();
    const first = user(t);
    await insertAll(store, first);
    const again = object(t, first.id, "group", { data: { other: true } });
    assert.deepEqual(await store.insertObject(again), { ok: false, reason: "duplicateId" });
    // Both the id and the key clash: the id is reported.
    assert.deepEqual(await store.insertObject({ ...first, data: {} }), {
      ok: false,
      reason: "duplicateId",
    });
    assert.deepEqual(await store.getObject(t, "user", first.id), first);
    assert.equal(await store.getObject(t, "group", first.id), undefined);
  });

  test("insertObject reports duplicateKey within a kind; other kinds and null keys are free", async () => {
    const store = ctx.store();
    const t = newTenant();
    const first = user(t, newId(), "k@x.test");
    await insertAll(store, first);
    const clash = user(t, newId(), "k@x.test");
    assert.deepEqual(await store.insertObject(clash), { ok: false, reason: "duplicateKey" });
    assert.equal(await store.getObject(t, "user", clash.id), undefined);
    const group = object(t, newId(), "group", { uniqueKey: "k@x.test" });
    const keyless = [user(t, newId(), null), user(t, newId(), null)];
    await insertAll(store, group, ...keyless);
    assert.deepEqual(await store.findByUniqueKey(t, "user", "k@x.test"), first);
    assert.deepEqual(await store.findByUniqueKey(t, "group", "k@x.test"), group);
  });

  test("20 concurrent inserts of one unique key: exactly one succeeds", async () => {
    const store = ctx.store();
    const t = newTenant();
    const racers = Array.from({ length: 20 }, () => user(t, newId(), "race@x.test"));
    const results = await Promise.all(racers.map((r) => store.insertObject(r)));
    const winners = racers.filter((_, i) => results[i]?.ok);
    assert.equal(winners.length, 1);
    for (const result of results.filter((r) => !r.ok)) {
      assert.deepEqual(result, { ok: false, reason: "duplicateKey" });
    }
    assert.deepEqual(await store.listObjects(t, "user"), winners);
  });

  test("what is stored does not change when the caller mutates its objects", async () => {
    const store = ctx.store();
    const t = newTenant();
    const item = user(t);
    const original = structuredClone(item);
    await insertAll(store, item);
    item.data.displayName = "changed after insert";
    const read = await store.getObject(t, "user", item.id);
    assert.ok(read);
    read.data.displayName = "changed after read";
    assert.deepEqual(await store.getObject(t, "user", item.id), original);
  });

  test("listObjects returns one tenant's objects of one kind, oldest first", async () => {
    const store = ctx.store();
    const [t, other] = [newTenant(), newTenant()];
    // Ids in an order that is neither sorted nor reverse sorted.
    const [z, a, m, late] = ["f", "0", "9", "5"].map((c) => user(t, c + newId().slice(1)));
    assert.ok(z && a && m && late);
    await insertAll(store, z, object(t, newId(), "group"), a, user(other), m);
    assert.deepEqual(ids(await store.listObjects(t, "user")), [z.id, a.id, m.id]);
    // Updating keeps the position; deleting and inserting puts the new one last.
    assert.deepEqual(await store.updateObject({ ...z, data: { v: 2 } }), { ok: true });
    assert.equal(await store.deleteObject(t, a.id), true);
    await insertAll(store, late);
    assert.deepEqual(ids(await store.listObjects(t, "user")), [z.id, m.id, late.id]);
    assert.deepEqual(await store.listObjects(newTenant(), "user"), []);
  });

  test("pageObjects pages one tenant's objects of one kind, oldest first, across deletions", async () => {
    const store = ctx.store();
    const [t, other] = [newTenant(), newTenant()];
    const made = Array.from({ length: 5 }, () => user(t));
    await insertAll(
      store,
      ...made.slice(0, 1),
      object(t, newId(), "group"),
      user(other),
      ...made.slice(1),
    );
    const all = ids(made);
    const first = await store.pageObjects(t, "user", { limit: 2 });
    assert.deepEqual(ids(first.objects), all.slice(0, 2));
    assert.deepEqual(first.objects[0], made[0]);
    assert.equal(typeof first.next, "number");
    // The last object of the page and one before it go: the next page still starts after it.
    assert.equal(await store.deleteObject(t, all[1] ?? ""), true);
    assert.equal(await store.deleteObject(t, all[0] ?? ""), true);
    const second = await store.pageObjects(t, "user", { after: first.next, limit: 2 });
    assert.deepEqual(ids(second.objects), all.slice(2, 4));
    const last = await store.pageObjects(t, "user", { after: second.next, limit: 2 });
    assert.deepEqual(ids(last.objects), all.slice(4));
    assert.equal(last.next, undefined);
    const exact = await store.pageObjects(t, "user", { limit: 3 });
    assert.deepEqual(ids(exact.objects), all.slice(2));
    assert.equal(exact.next, undefined);
    assert.deepEqual(await store.pageObjects(newTenant(), "user", { limit: 10 }), {
      objects: [],
      positions: [],
      next: undefined,
    });
    // A page may start after any object's position: the next page starts after that object.
    const two = await store.pageObjects(t, "user", { limit: 2 });
    assert.deepEqual(two.positions.length, 2);
    assert.equal(two.next, two.positions[1]);
    const afterFirst = await store.pageObjects(t, "user", { after: two.positions[0], limit: 1 });
    assert.deepEqual(ids(afterFirst.objects), all.slice(3, 4));
  });

  test("listObjects filters by ownerId, parentId and parentId null", async () => {
    const store = ctx.store();
    const t = newTenant();
    const [u1, u2] = [user(t), user(t)];
    const f1 = folder(t, u1.id);
    const rootContact = contact(t, u1.id);
    const inFolder = contact(t, u1.id, f1.id);
    const otherRoot = contact(t, u2.id);
    await insertAll(store, u1, u2, f1, rootContact, inFolder, otherRoot);
    const list = async (filter?: Parameters<typeof store.listObjects>[2]) =>
      ids(await store.listObjects(t, "contact", filter));
    assert.deepEqual(await list(), [rootContact.id, inFolder.id, otherRoot.id]);
    assert.deepEqual(await list({}), [rootContact.id, inFolder.id, otherRoot.id]);
    assert.deepEqual(await list({ ownerId: u1.id }), [rootContact.id, inFolder.id]);
    assert.deepEqual(await list({ ownerId: u1.id, parentId: undefined }), [
      rootContact.id,
      inFolder.id,
    ]);
    assert.deepEqual(await list({ ownerId: u1.id, parentId: null }), [rootContact.id]);
    assert.deepEqual(await list({ ownerId: u1.id, parentId: f1.id }), [inFolder.id]);
    assert.deepEqual(await list({ ownerId: u2.id, parentId: f1.id }), []);
    assert.deepEqual(await list({ parentId: f1.id }), [inFolder.id]);
    assert.deepEqual(await list({ parentId: null }), [rootContact.id, otherRoot.id]);
    assert.deepEqual(ids(await store.listObjects(t, "contactFolder", { ownerId: u1.id })), [f1.id]);
    assert.deepEqual(await store.listObjects(t, "contactFolder", { ownerId: u2.id }), []);
  });

  test("updateObject replaces data and unique key, and nothing else", async () => {
    const store = ctx.store();
    const t = newTenant();
    const item = user(t, newId(), "old@x.test");
    await insertAll(store, item);
    const changed = { ...item, uniqueKey: "new@x.test", data: { displayName: "New" } };
    assert.deepEqual(
      await store.updateObject({ ...changed, ownerId: newId(), parentId: newId() }),
      { ok: true },
    );
    assert.deepEqual(await store.getObject(t, "user", item.id), changed);
    assert.equal(await store.findByUniqueKey(t, "user", "old@x.test"), undefined);
    assert.deepEqual(await store.findByUniqueKey(t, "user", "new@x.test"), changed);
    // The freed key can be taken; a null key frees this one too.
    await insertAll(store, user(t, newId(), "old@x.test"));
    assert.deepEqual(await store.updateObject({ ...changed, uniqueKey: null }), { ok: true });
    assert.equal(await store.findByUniqueKey(t, "user", "new@x.test"), undefined);
  });

  test("updateObject reports duplicateKey for another object's key and keeps both", async () => {
    const store = ctx.store();
    const t = newTenant();
    const [one, two] = [user(t, newId(), "one@x.test"), user(t, newId(), "two@x.test")];
    await insertAll(store, one, two);
    assert.deepEqual(await store.updateObject({ ...two, uniqueKey: "one@x.test", data: {} }), {
      ok: false,
      reason: "duplicateKey",
    });
    assert.deepEqual(await store.getObject(t, "user", two.id), two);
    assert.deepEqual(await store.findByUniqueKey(t, "user", "one@x.test"), one);
    const same = { ...one, data: { v: 2 } };
    assert.deepEqual(await store.updateObject(same), { ok: true }, "its own key is no clash");
    assert.deepEqual(await store.getObject(t, "user", one.id), same);
  });

  test("updateObject reports missing for an unknown id, another tenant or another kind", async () => {
    const store = ctx.store();
    const t = newTenant();
    const item = user(t);
    await insertAll(store, item);
    const missing = { ok: false, reason: "missing" };
    assert.deepEqual(await store.updateObject(user(t)), missing);
    assert.deepEqual(await store.updateObject({ ...item, tenantId: newTenant() }), missing);
    assert.deepEqual(await store.updateObject({ ...item, kind: "group", data: {} }), missing);
    assert.deepEqual(await store.getObject(t, "user", item.id), item);
  });
}
