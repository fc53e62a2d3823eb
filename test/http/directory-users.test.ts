/** Users in the Graph-shaped directory of contract section 6, under /v1.0 and /beta. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  describeDirectory,
  NO_ITEM,
  NOT_FOUND,
  withoutContext,
} from "../helpers/directory-suite.ts";
import { GUID, type Method, notFoundMessage } from "../helpers/graph-calls.ts";

const DUPLICATE_UPN =
  "Another object with the same value for property userPrincipalName already exists.";

describeDirectory((d) => {
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

    test("names every object has (constructor, toString) and text with NUL: 400", async () => {
      const good = { displayName: "Odd", userPrincipalName: "odd@contoso.test" };
      for (const name of ["constructor", "toString", "hasOwnProperty", "__defineSetter__"]) {
        const response = await d.expect("POST", "/users", "400 Request_BadRequest", {
          body: { ...good, [name]: null },
        });
        assert.match(
          response.json().error.message,
          new RegExp(`Property '${name}' does not exist`),
        );
      }
      for (const body of [
        { ...good, userPrincipalName: "n\u0000@contoso.test" },
        { ...good, displayName: "a\u0000b" },
        { ...good, businessPhones: ["1\u0000"] },
      ]) {
        await d.expect("POST", "/users", "400 Request_BadRequest", { body });
      }
      await d.expect("GET", "/users/odd@contoso.test", NOT_FOUND);
      const user = await d.newUser("Kept");
      await d.expect("PATCH", `/users/${user.id}`, "400 Request_BadRequest", {
        body: { valueOf: null },
      });
      assert.equal(Object.hasOwn(await d.json(`/users/${user.id}`), "valueOf"), false);
    });

    test("a key with a NUL character is an unknown object, on every store", async () => {
      for (const path of ["/users/%00", "/users/a%00b@contoso.test", "/users/%00/photo"]) {
        await d.expect("GET", path, NOT_FOUND);
      }
      await d.expect("PUT", "/users/%00/photo/$value", NOT_FOUND, { body: d.jpeg });
      await d.expect("GET", "/users/%00/contacts", NOT_FOUND);
      await d.expect("GET", "/groups/%00", NOT_FOUND);
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

    test("OData's key syntax: users('key') and groups('id') name the same objects", async () => {
      const dollar = await d.created("/users", {
        displayName: "Dollar",
        userPrincipalName: `$${d.upn("dollar")}`,
      });
      const quote = await d.created("/users", {
        displayName: "Quote",
        userPrincipalName: `o'${d.upn("brien")}`,
      });
      const upn = (user: typeof dollar) => String(user.userPrincipalName);
      assert.equal((await d.json(`/users('${upn(dollar)}')`)).id, dollar.id);
      assert.equal((await d.json(`/users('%24${upn(dollar).slice(1)}')?$select=id`)).id, dollar.id);
      assert.equal((await d.json(`/users('${upn(quote).replace("'", "''")}')`)).id, quote.id);
      assert.equal((await d.json(`/users('${quote.id}')`)).id, quote.id);
      await d.expect("PUT", `/users('${dollar.id}')/photo/$value`, "200", { body: d.jpeg });
      assert.equal((await d.json(`/users('${upn(dollar)}')/photos/48x48`)).width, 48);
      assert.equal((await d.json(`/users/${dollar.id}/photos('48X48')`)).width, 48);
      const bytes = await d.call("GET", `/users('${dollar.id}')/photos('64x64')/$value`);
      assert.equal(bytes.statusCode, 200);
      assert.equal(bytes.headers["content-type"], "image/jpeg");
      const group = await d.created("/groups", { displayName: "Keyed", mailNickname: "keyed" });
      assert.equal((await d.json(`/groups('${group.id}')`)).id, group.id);
      await d.expect("GET", "/users('nobody@contoso.test')", NOT_FOUND);
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
});
