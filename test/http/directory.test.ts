/** The Graph-shaped directory of contract section 6, through HTTP, under /v1.0 and /beta. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type DirectoryClient, openDirectory, type View } from "../helpers/directory-client.ts";
import { GUID, type Method, notFoundMessage } from "../helpers/graph-calls.ts";
import { makeJpeg } from "../helpers/images.ts";
import { ALL_APP_ROLES } from "../helpers/service.ts";

const DUPLICATE_UPN =
  "Another object with the same value for property userPrincipalName already exists.";
const NOT_FOUND = "404 Request_ResourceNotFound";
const NO_ITEM = "404 ErrorItemNotFound";
const withoutContext = ({ "@odata.context": _, ...view }: View) => view;

for (const version of ["v1.0", "beta"] as const) {
  describe(`directory under /${version}`, () => {
    let d: DirectoryClient;
    before(async () => {
      d = await openDirectory(version);
    });
    after(() => d.service.close());

    describe("users", () => {
      test("POST /users: 201, a new GUID id, the properties and @odata.context", async () => {
        const body = {
          displayName: "Adele Vance",
          userPrincipalName: "adele@contoso.test",
          mailNickname: "adele",
          accountEnabled: true,
          jobTitle: "Engineer",
        };
        const user = await d.created("/users", { ...body, passwordProfile: { password: "p" } });
        assert.match(user.id, GUID);
        assert.deepEqual(user, {
          "@odata.context": d.context("users/$entity"),
          id: user.id,
          ...body,
        });
        assert.deepEqual(await d.json(`/users/${user.id}`), user);
      });

      test("an id (GUID) in the body is kept", async () => {
        const id = randomUUID();
        assert.equal((await d.newUser("Kept", { id })).id, id);
        assert.equal((await d.json(`/users/${id}`)).displayName, "Kept");
      });

      test("a non-GUID id, no or empty displayName or UPN, an unknown property: 400", async () => {
        const good = { displayName: "Bad", userPrincipalName: "bad@contoso.test" };
        const bodies = [
          { ...good, id: "not-a-guid" },
          { ...good, id: 42 },
          { userPrincipalName: good.userPrincipalName },
          { ...good, displayName: "" },
          { displayName: good.displayName },
          { ...good, userPrincipalName: "" },
        ];
        for (const body of bodies)
          await d.expect("POST", "/users", "400 Request_BadRequest", { body });
        const unknown = { ...good, favouriteColour: "blue" };
        const response = await d.expect("POST", "/users", "400 Request_BadRequest", {
          body: unknown,
        });
        assert.match(response.json().error.message, /favouriteColour/);
        await d.expect("GET", "/users/bad@contoso.test", NOT_FOUND);
      });

      test("a userPrincipalName already in use, in any case, is 400 with Graph's message", async () => {
        const first = String((await d.newUser("Dana")).userPrincipalName);
        for (const upn of [first, first.toUpperCase(), first.toLowerCase()]) {
          const body = { displayName: "Again", userPrincipalName: upn };
          await d.expect("POST", "/users", "400 Request_BadRequest", {
            body,
            message: DUPLICATE_UPN,
          });
        }
        const all = (await d.json("/users")).value;
        assert.equal(all.filter((user) => user.displayName === "Again").length, 0);
      });

      test("GET /users lists users; GET /users/{upn} matches case-insensitively", async () => {
        const [erin, finn] = [await d.newUser("Erin"), await d.newUser("Finn")];
        const list = await d.json("/users");
        assert.equal(list["@odata.context"], d.context("users"));
        assert.deepEqual(
          list.value.find((user) => user.id === erin.id),
          withoutContext(erin),
        );
        assert.ok(list.value.some((user) => user.id === finn.id));
        const upn = String(erin.userPrincipalName);
        for (const key of [upn.toLowerCase(), upn.toUpperCase(), encodeURIComponent(upn)]) {
          assert.equal((await d.json(`/users/${key}`)).id, erin.id, key);
        }
      });

      test("a guest userPrincipalName with #EXT# is found when sent as %23EXT%23", async () => {
        const upn = `gina_fabrikam.test#EXT#@${d.upn("guest").split("@")[1]}`;
        const guest = await d.created("/users", { displayName: "Gina", userPrincipalName: upn });
        const sent = upn.replace(/#/g, "%23");
        for (const key of [sent, encodeURIComponent(upn), sent.replace("EXT", "ext")]) {
          assert.equal((await d.json(`/users/${key}`)).id, guest.id, key);
        }
        await d.expect("PUT", `/users/${sent}/photo/$value`, "200", { body: d.jpeg });
        assert.equal((await d.json(`/users/${guest.id}/photo`)).id, "64X64");
      });

      test("GET /me is the signed-in user", async () => {
        const hana = await d.newUser("Hana");
        const token = await d.service.userToken(hana.id, ["User.Read"]);
        assert.deepEqual(await d.json("/me", token), hana);
      });

      test("PATCH /users/{key} answers 204 and the change is visible afterwards", async () => {
        const ivan = await d.newUser("Ivan");
        const change = { jobTitle: "Lead", displayName: "Ivan I." };
        const patched = await d.expect("PATCH", `/users/${ivan.id}`, "204", { body: change });
        assert.equal(patched.body, "");
        const byUpn = `/users/${ivan.userPrincipalName}`;
        await d.expect("PATCH", byUpn, "204", { body: { city: "Oslo" } });
        const changed = await d.json(`/users/${ivan.id}`);
        assert.deepEqual(changed, { ...ivan, ...change, city: "Oslo" });
        const bad = { body: { shoeSize: "44" } };
        await d.expect("PATCH", `/users/${ivan.id}`, "400 Request_BadRequest", bad);
        assert.deepEqual(await d.json(`/users/${ivan.id}`), changed);
      });

      test("DELETE /users/{id}: 204, and its photo, contacts and folders are gone", async () => {
        const jon = await d.newUser("Jon");
        const box = `/users/${jon.id}`;
        await d.expect("PUT", `${box}/photo/$value`, "200", { body: d.jpeg });
        const contact = await d.created(`${box}/contacts`, { displayName: "Kim" });
        const folder = await d.created(`${box}/contactFolders`, { displayName: "F" });
        const inFolder = await d.created(`${box}/contactFolders/${folder.id}/contacts`, {
          displayName: "Lou",
        });
        const contactPhoto = `${box}/contacts/${contact.id}/photo/$value`;
        await d.expect("PUT", contactPhoto, "200", { body: d.jpeg });

        assert.equal((await d.expect("DELETE", box, "204")).body, "");
        const message = notFoundMessage(jon.id);
        for (const tail of [
          "",
          "/photo",
          `/contacts/${contact.id}`,
          `/contactFolders/${folder.id}`,
        ]) {
          await d.expect("GET", `${box}${tail}`, NOT_FOUND, { message });
        }
        await d.expect("DELETE", box, NOT_FOUND);

        // The same id again: nothing of the old user comes back with it.
        await d.newUser("Jon again", { id: jon.id });
        await d.expect("GET", `${box}/photo`, "404 ImageNotFound");
        assert.deepEqual((await d.json(`${box}/contacts`)).value, []);
        assert.deepEqual((await d.json(`${box}/contactFolders`)).value, []);
        for (const tail of [
          `/contacts/${contact.id}`,
          `/contacts/${contact.id}/photo`,
          `/contacts/${inFolder.id}`,
          `/contactFolders/${folder.id}`,
          `/contactFolders/${folder.id}/contacts/${inFolder.id}`,
        ]) {
          await d.expect("GET", `${box}${tail}`, NO_ITEM);
        }
        const tenant = d.service.issuer.tenantId;
        assert.deepEqual(await d.service.store.listPhotoSizes(tenant, contact.id), []);
      });

      test("an unknown user is 404 Request_ResourceNotFound with Graph's message", async () => {
        const requests = ["GET ", "GET /contacts", "GET /contactFolders", "GET /photo", "DELETE "];
        for (const key of ["nobody@contoso.test", randomUUID()]) {
          const message = notFoundMessage(key);
          for (const request of requests) {
            const [method, tail] = request.split(" ") as [Method, string];
            await d.expect(method, `/users/${key}${tail}`, NOT_FOUND, { message });
          }
          const body = { city: "Oslo" };
          await d.expect("PATCH", `/users/${key}`, NOT_FOUND, { body, message });
        }
      });
    });

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
        const unknown = { displayName: "X", mailNickname: "x", ...bind(randomUUID()) };
        await d.expect("POST", "/groups", "400 Request_BadRequest", { body: unknown });
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
          assert.equal(
            (await get(`/contactFolders/${a.id}/contacts/${contact.id}`)).id,
            contact.id,
          );
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

    describe("tenant isolation", () => {
      const tenantB = randomUUID();
      let appB: string;
      before(async () => {
        appB = await d.service.issuer.mint({ app: true, roles: ALL_APP_ROLES, tenantId: tenantB });
      });

      test("users, groups, contacts and photos of tenant A are 404 for tenant B", async () => {
        const user = await d.newUser("Paula");
        const group = await d.created("/groups", { displayName: "A", mailNickname: "a" });
        const contact = await d.created(`/users/${user.id}/contacts`, { displayName: "C" });
        const owners = [
          `/users/${user.id}`,
          `/groups/${group.id}`,
          `/users/${user.id}/contacts/${contact.id}`,
        ];
        for (const owner of owners) {
          await d.expect("PUT", `${owner}/photo/$value`, "200", { body: d.jpeg });
        }
        const photosBefore = await Promise.all(owners.map((owner) => d.json(`${owner}/photo`)));
        const userB = await d.service.issuer.mint({
          user: user.id,
          scopes: ["User.ReadWrite", "Contacts.ReadWrite"],
          tenantId: tenantB,
        });
        const other = await makeJpeg(96, 96);
        const requests: [Method, string, string, (object | Buffer)?][] = [
          ["GET", `/users/${user.id}`, appB],
          ["GET", `/users/${user.userPrincipalName}`, appB],
          ["PATCH", `/users/${user.id}`, appB, { city: "Rome" }],
          ["DELETE", `/users/${user.id}`, appB],
          ["GET", `/groups/${group.id}`, appB],
          ["DELETE", `/groups/${group.id}`, appB],
          ["GET", `/users/${user.id}/contacts`, appB],
          ["GET", `/users/${user.id}/contacts/${contact.id}`, appB],
          ["DELETE", `/users/${user.id}/contacts/${contact.id}`, appB],
          ["GET", "/me", userB],
          ["GET", `/me/contacts/${contact.id}`, userB],
          ["GET", "/me/photo", userB],
          ["DELETE", `/users/${user.id}/photo/$value`, appB],
          ["DELETE", `/groups/${group.id}/photo/$value`, appB],
          ["GET", `/teams/${group.id}/photo`, appB],
          ...owners.map((owner): [Method, string, string] => ["GET", `${owner}/photo`, appB]),
          ...owners.map((owner): [Method, string, string, Buffer] => [
            "PUT",
            `${owner}/photo/$value`,
            appB,
            other,
          ]),
        ];
        for (const [method, path, token, body] of requests) {
          const response = await d.call(method, path, token, body);
          assert.equal(response.statusCode, 404, `${method} ${path}: ${response.body}`);
        }
        const idsOfB = async (set: string) => (await d.json(set, appB)).value.map((o) => o.id);
        assert.ok(!(await idsOfB("/users")).includes(user.id));
        assert.ok(!(await idsOfB("/groups")).includes(group.id));
        // Nothing of tenant A changed.
        const photosAfter = await Promise.all(owners.map((owner) => d.json(`${owner}/photo`)));
        assert.deepEqual(photosAfter, photosBefore);
        assert.equal((await d.json(`/users/${user.id}`)).city, undefined);
        await d.expect("GET", `/groups/${group.id}`, "200");
        await d.expect("GET", `/users/${user.id}/contacts/${contact.id}`, "200");
      });

      test("tenant B can create a user with a UPN (and an id) used in tenant A", async () => {
        const user = await d.newUser("Quinn");
        const upn = String(user.userPrincipalName);
        const twinBody = { displayName: "Twin", userPrincipalName: upn.toLowerCase() };
        const twin = await d.created("/users", twinBody, appB);
        assert.notEqual(twin.id, user.id);
        assert.equal((await d.json(`/users/${upn}`, appB)).id, twin.id);
        assert.equal((await d.json(`/users/${upn}`)).id, user.id);
        const sameId = { id: user.id, displayName: "Same id", userPrincipalName: d.upn("Other") };
        assert.equal((await d.created("/users", sameId, appB)).id, user.id);
        assert.equal((await d.json(`/users/${user.id}`, appB)).displayName, "Same id");
        assert.equal((await d.json(`/users/${user.id}`)).displayName, "Quinn");
      });
    });
  });
}
