/** Groups and contacts of the Graph-shaped directory (contract section 6), under /v1.0 and /beta. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import type { View } from "../helpers/directory-client.ts";
import {
  describeDirectory,
  NO_ITEM,
  NOT_FOUND,
  withoutContext,
} from "../helpers/directory-suite.ts";
import { GUID, type Method, notFoundMessage } from "../helpers/graph-calls.ts";

describeDirectory((d) => {
  describe("groups", () => {
    const newGroup = (extra: object = {}, token?: string) =>
      d.created("/groups", { displayName: "Sales", mailNickname: "sales", ...extra }, token);

    test("POST /groups: 201, a GUID id, the properties and @odata.context", async () => {
      const group = await newGroup({ description: "All of sales" });
      assert.match(group.id, GUID);
      assert.deepEqual(group, {
        "@odata.context": d.context("groups/$entity"),
        id: group.id,
        displayName: "Sales",
        mailNickname: "sales",
        description: "All of sales",
        mailEnabled: false,
        securityEnabled: true,
        groupTypes: [],
      });
      assert.deepEqual(await d.json(`/groups/${group.id}`), group);
    });

    test("a delegated creator becomes an owner: it may write the photo, no admin role", async () => {
      const kai = await d.newUser("Kai");
      const token = await d.service.userToken(kai.id, ["Group.ReadWrite.All"]);
      const own = await newGroup({}, token);
      const body = d.jpeg;
      await d.expect("PUT", `/groups/${own.id}/photo/$value`, "200", { token, body });
      const other = await newGroup();
      await d.expect("PUT", `/groups/${other.id}/photo/$value`, "403 ErrorAccessDenied", {
        token,
        body,
      });
    });

    test("owners@odata.bind with a user URL makes that user an owner", async () => {
      const [lea, max] = [await d.newUser("Lea"), await d.newUser("Max")];
      const bind = (id: string) => ({
        "owners@odata.bind": [`https://graph.microsoft.com/v1.0/users/${id}`],
      });
      const group = await newGroup(bind(lea.id));
      assert.equal(group["owners@odata.bind"], undefined);
      const photo = `/groups/${group.id}/photo/$value`;
      const leaToken = await d.service.userToken(lea.id, ["Group.ReadWrite.All"]);
      await d.expect("PUT", photo, "200", { token: leaToken, body: d.jpeg });
      const maxToken = await d.service.userToken(max.id, ["Group.ReadWrite.All"]);
      await d.expect("PUT", photo, "403 ErrorAccessDenied", { token: maxToken, body: d.jpeg });
      // An owner that does not exist, or a reference that is no user URL: 400, no group made.
      const before = (await d.json("/groups")).value.length;
      for (const id of [randomUUID(), "%ZZ", "%E0%A4%A", "lea@contoso.com/extra"]) {
        const body = { displayName: "X", mailNickname: "x", ...bind(id) };
        await d.expect("POST", "/groups", "400 Request_BadRequest", { body });
      }
      assert.equal((await d.json("/groups")).value.length, before);
    });

    test("GET /groups lists groups; DELETE /groups/{id}: 204, then the group is 404", async () => {
      const group = await newGroup({ displayName: "Doomed" });
      const list = await d.json("/groups");
      assert.equal(list["@odata.context"], d.context("groups"));
      assert.deepEqual(
        list.value.find((g) => g.id === group.id),
        withoutContext(group),
      );
      await d.expect("PUT", `/groups/${group.id}/photo/$value`, "200", { body: d.jpeg });
      await d.expect("DELETE", `/groups/${group.id}`, "204");
      const message = notFoundMessage(group.id);
      for (const request of ["GET ", "GET /photo", "GET /photo/$value", "DELETE "]) {
        const [method, tail] = request.split(" ") as [Method, string];
        await d.expect(method, `/groups/${group.id}${tail}`, NOT_FOUND, { message });
      }
      assert.ok(!(await d.json("/groups")).value.some((g) => g.id === group.id));
      for (const key of [randomUUID(), "no-such-group"]) {
        await d.expect("GET", `/groups/${key}`, NOT_FOUND, { message: notFoundMessage(key) });
      }
    });
  });

  describe("contacts", () => {
    const mailboxes = [
      { label: "/me", path: (_: View) => "/me" },
      { label: "/users/{id}", path: (user: View) => `/users/${user.id}` },
      { label: "/users/{upn}", path: (user: View) => `/users/${user.userPrincipalName}` },
    ];
    for (const mailbox of mailboxes) {
      /** A fresh user's mailbox: its own delegated token for /me, the app token otherwise. */
      const open = async () => {
        const user = await d.newUser("Owner");
        const delegated = mailbox.label === "/me";
        const token = delegated
          ? await d.service.userToken(user.id, ["Contacts.ReadWrite"])
          : d.app;
        const base = mailbox.path(user);
        const post = (path: string, body: object) => d.created(`${base}${path}`, body, token);
        return { base, token, post, get: (path: string) => d.json(`${base}${path}`, token) };
      };

      test(`${mailbox.label}/contacts: POST 201, GET list and item, DELETE 204`, async () => {
        const { base, token, post, get } = await open();
        const body = {
          givenName: "Pavel",
          surname: "Bansky",
          emailAddresses: [{ address: "pavel@fabrikam.test", name: "Pavel" }],
          businessPhones: ["+1 732 555 0102"],
        };
        const contact = await post("/contacts", body);
        assert.match(contact.id, GUID);
        const entity = { "@odata.context": d.context("contacts/$entity"), id: contact.id };
        assert.deepEqual(contact, { ...entity, ...body });
        const list = {
          "@odata.context": d.context("contacts"),
          value: [withoutContext(contact)],
        };
        assert.deepEqual(await get("/contacts"), list);
        assert.deepEqual(await get(`/contacts/${contact.id}`), contact);
        const item = `${base}/contacts/${contact.id}`;
        assert.equal((await d.expect("DELETE", item, "204", { token })).body, "");
        await d.expect("GET", item, NO_ITEM, { token });
        await d.expect("DELETE", item, NO_ITEM, { token });
      });

      test(`${mailbox.label}/contactFolders: folders and contacts in them`, async () => {
        const { base, token, post, get } = await open();
        const folder = await post("/contactFolders", { displayName: "Friends" });
        const context = d.context("contactFolders/$entity");
        assert.deepEqual(folder, {
          "@odata.context": context,
          id: folder.id,
          displayName: "Friends",
        });
        assert.deepEqual((await get("/contactFolders")).value, [withoutContext(folder)]);
        assert.deepEqual(await get(`/contactFolders/${folder.id}`), folder);
        const inFolder = `/contactFolders/${folder.id}/contacts`;
        const contact = await post(inFolder, { displayName: "Fiona" });
        assert.equal(contact["@odata.context"], d.context("contacts/$entity"));
        assert.equal(contact.parentFolderId, folder.id);
        assert.deepEqual((await get(inFolder)).value, [withoutContext(contact)]);
        assert.deepEqual(await get(`${inFolder}/${contact.id}`), contact);
        await d.expect("DELETE", `${base}${inFolder}/${contact.id}`, "204", { token });
        await d.expect("GET", `${base}${inFolder}/${contact.id}`, NO_ITEM, { token });
        await d.expect("DELETE", `${base}/contactFolders/${folder.id}`, "204", { token });
        await d.expect("GET", `${base}/contactFolders/${folder.id}`, NO_ITEM, { token });
        const noName = { token, body: {} };
        await d.expect("POST", `${base}/contactFolders`, "400 Request_BadRequest", noName);
      });

      test(`${mailbox.label}: folder B does not reach folder A's contact; unknown ids`, async () => {
        const { base, token, post, get } = await open();
        const a = await post("/contactFolders", { displayName: "A" });
        const b = await post("/contactFolders", { displayName: "B" });
        const contact = await post(`/contactFolders/${a.id}/contacts`, { displayName: "In A" });
        const throughB = `${base}/contactFolders/${b.id}/contacts/${contact.id}`;
        await d.expect("GET", throughB, NO_ITEM, { token });
        await d.expect("GET", `${throughB}/photo`, NO_ITEM, { token });
        await d.expect("PUT", `${throughB}/photo/$value`, NO_ITEM, { token, body: d.jpeg });
        await d.expect("DELETE", throughB, NO_ITEM, { token });
        assert.deepEqual((await get(`/contactFolders/${b.id}/contacts`)).value, []);
        assert.equal((await get(`/contactFolders/${a.id}/contacts/${contact.id}`)).id, contact.id);
        for (const path of [
          `/contacts/${randomUUID()}`,
          "/contacts/not-an-id",
          `/contactFolders/${randomUUID()}`,
          `/contactFolders/${randomUUID()}/contacts`,
          `/contactFolders/${a.id}/contacts/${randomUUID()}`,
        ]) {
          await d.expect("GET", `${base}${path}`, NO_ITEM, { token });
        }
        const into = `${base}/contactFolders/${randomUUID()}/contacts`;
        await d.expect("POST", into, NO_ITEM, { token, body: { displayName: "X" } });
      });
    }

    test("a contact is not found through another user's mailbox", async () => {
      const [nora, omar] = [await d.newUser("Nora"), await d.newUser("Omar")];
      const contact = await d.created(`/users/${nora.id}/contacts`, { displayName: "N" });
      await d.expect("GET", `/users/${omar.id}/contacts/${contact.id}`, NO_ITEM);
      await d.expect("DELETE", `/users/${omar.id}/contacts/${contact.id}`, NO_ITEM);
      assert.equal((await d.json(`/users/${nora.id}/contacts/${contact.id}`)).id, contact.id);
    });
  });

  test("a method a directory URL does not have: 405, after authentication, nothing changed", async () => {
    const user = await d.newUser("Pia");
    const group = await d.created("/groups", { displayName: "Ops", mailNickname: "ops" });
    const folder = await d.created(`/users/${user.id}/contactFolders`, { displayName: "F" });
    const contact = await d.created(`/users/${user.id}/contacts`, { displayName: "C" });
    const refused: [Method, string][] = [
      ["POST", `/users/${user.id}`],
      ["PUT", `/users/${user.userPrincipalName}`],
      ["DELETE", "/users"],
      ["PATCH", "/users"],
      ["POST", `/groups/${group.id}`],
      ["PATCH", `/groups/${group.id}`],
      ["PUT", "/groups"],
      ["PATCH", `/users/${user.id}/contacts/${contact.id}`],
      ["PUT", `/users/${user.id}/contactFolders/${folder.id}`],
      ["DELETE", `/users/${user.id}/contactFolders/${folder.id}/contacts`],
    ];
    const message = "Specified HTTP method is not allowed for the request target.";
    for (const [method, path] of refused) {
      await d.expect(method, path, "405 Request_BadRequest", {
        body: { displayName: "Z" },
        message,
      });
      const anonymous = await d.call(method, path, "not-a-token", { displayName: "Z" });
      assert.equal(anonymous.statusCode, 401, `${method} ${path} without a valid token`);
    }
    const me = await d.service.userToken(user.id, ["User.ReadWrite"]);
    await d.expect("POST", "/me", "405 Request_BadRequest", { token: me, body: {}, message });
    assert.equal((await d.json(`/users/${user.id}`)).displayName, "Pia");
    assert.equal((await d.json(`/groups/${group.id}`)).displayName, "Ops");
    assert.equal((await d.json(`/users/${user.id}/contacts/${contact.id}`)).displayName, "C");
  });
});
