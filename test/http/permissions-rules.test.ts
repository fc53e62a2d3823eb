/**
 * Rules of contract sections 5 and 6 around the permission table, through HTTP: /me with an
 * application token, exact permission names, where admin roles and scopes come from, unknown
 * objects.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  GLOBAL_ADMIN,
  type Method,
  notFoundMessage,
  outcome,
  USER_ADMIN,
} from "../helpers/graph-calls.ts";
import {
  ALICE_CONTACT,
  ALL,
  BOB_CONTACT,
  BOB_FOLDER_CONTACT,
  type Caller,
  DENIED,
  NOT_FOUND,
  permissionFixture,
} from "../helpers/permission-table.ts";

const table = permissionFixture();
const { ids, call, mint } = table;

describe("rules around the table", () => {
  test("other users' contacts are 403 for a delegated admin with every scope, existing or not", async () => {
    const token = await mint("admin", ALL);
    const requests = [
      `GET ${BOB_CONTACT}`,
      `PUT ${BOB_CONTACT}`,
      `GET ${BOB_FOLDER_CONTACT}/photo`,
      `PUT ${BOB_FOLDER_CONTACT}/photo/$value`,
      `GET /users/{bob}/contacts/${randomUUID()}/photo/$value`,
      `PUT /users/{bob}/contacts/${randomUUID()}/photo/$value`,
      "GET /users/{bob}/contacts/{bobContact}",
      `GET /users/{bob}/contactFolders/${randomUUID()}/contacts`,
      `GET /users/nobody@contoso.test/contacts/${randomUUID()}/photo/$value`,
      `GET /users/${randomUUID()}/contacts`,
    ];
    for (const request of requests) {
      const [method, path] = request.split(" ") as [Method, string];
      const response = await call(method, path, token, method === "PUT" ? table.jpeg : undefined);
      assert.equal(outcome(response), DENIED, request);
    }
    assert.equal(outcome(await call("GET", BOB_CONTACT, table.appAll)), "200");
  });

  test("application tokens on /me get 400 BadRequest", async () => {
    const requests = [
      "GET /me",
      "PATCH /me",
      "GET /me/photo",
      "GET /me/photo/$value",
      "GET /me/photos",
      "PUT /me/photo/$value",
      "DELETE /me/photo/$value",
      "GET /me/contacts",
      "GET /me/contactFolders",
      "GET /me/contacts/{aliceContact}/photo",
    ];
    for (const request of requests) {
      const [method, path] = request.split(" ") as [Method, string];
      const body =
        method === "PATCH" ? { city: "Oslo" } : method === "PUT" ? table.jpeg : undefined;
      const response = await call(method, path, table.appAll, body);
      assert.equal(outcome(response), "400 BadRequest", request);
      const message = "/me request is only valid with delegated authentication flow.";
      assert.equal(response.json().error.message, message);
    }
  });

  test(".ReadWrite grants the matching read", async () => {
    const cases: [Caller, string, string][] = [
      ["user", "User.ReadWrite", "/me/photo/$value"],
      ["user", "User.ReadWrite.All", "/users/{bob}/photo/$value"],
      ["user", "ProfilePhoto.ReadWrite.All", "/groups/{group}/photo/$value"],
      ["app", "User.ReadWrite.All", "/users/{bob}/photo/$value"],
      ["app", "Group.ReadWrite.All", "/groups/{group}/photo/$value"],
      ["user", "TeamSettings.ReadWrite.All", "/teams/{group}/photo/$value"],
      ["user", "Contacts.ReadWrite", ALICE_CONTACT],
      ["app", "Contacts.ReadWrite", BOB_CONTACT],
    ];
    for (const [caller, permission, path] of cases) {
      const response = await call("GET", path, await mint(caller, [permission]));
      assert.equal(outcome(response), "200", `${caller} ${permission} ${path}`);
    }
  });

  test("permission names match exactly: another case or a suffix is 403", async () => {
    const cases: [Caller, string, string[]][] = [
      ["user", "/me/photo/$value", ["user.read", "USER.READ", "User.ReadX", "User.Read.Self"]],
      ["user", "/me/photo/$value", ["User", "user.readwrite", "User.Read."]],
      ["user", "/users/{bob}/photo", ["profilephoto.read.all", "ProfilePhoto.Read"]],
      ["user", "/users/{bob}/photo", ["ProfilePhoto.Read.All2", "User.ReadBasic.AllX"]],
      ["app", "/users/{bob}/photo", ["user.read.all", "User.Read.All.", "User.Read.AllX"]],
      ["app", "/users/{bob}/photo", ["ProfilePhoto.Read", "USER.READWRITE.ALL"]],
      ["app", "/groups/{group}/photo", ["group.read.all", "Group.Read.AllX", "Group.Read"]],
      ["user", "/teams/{group}/photo", ["teamsettings.read.all", "TeamSettings.Read.AllX"]],
      ["app", BOB_CONTACT, ["contacts.read", "Contacts.ReadX", "Contacts.Read.All"]],
    ];
    for (const [caller, path, names] of cases) {
      for (const name of names) {
        const response = await call("GET", path, await mint(caller, [name]));
        assert.equal(outcome(response), DENIED, `${caller} ${name} ${path}`);
      }
    }
  });

  test("permissions in the roles claim of a delegated token do not count", async () => {
    const requests = [
      "GET /me",
      "GET /me/photo",
      "PUT /me/photo/$value",
      "GET /users/{bob}/photo",
      "GET /groups/{group}/photo",
      "GET /teams/{group}/photo",
      "GET /me/contacts/{aliceContact}/photo",
    ];
    for (const scopes of [[], ["openid", "profile"]]) {
      const user = ids.alice ?? "";
      const roles = ALL;
      const token = await table.service.issuer.mint({
        user,
        scopes,
        roles,
        adminRoles: [GLOBAL_ADMIN],
      });
      for (const request of requests) {
        const [method, path] = request.split(" ") as [Method, string];
        const response = await call(method, path, token, method === "PUT" ? table.jpeg : undefined);
        assert.equal(outcome(response), DENIED, `${scopes} ${request}`);
      }
    }
  });

  test("admin roles come from wids: Global and User Administrator count, others do not", async () => {
    const write = async (adminRoles: string[], roles?: string[]) => {
      const scopes = ["User.ReadWrite.All"];
      const claims = { user: ids.alice ?? "", scopes, adminRoles, ...(roles && { roles }) };
      const token = await table.service.issuer.mint(claims);
      return outcome(await call("PUT", "/users/{bob}/photo/$value", token, table.jpeg));
    };
    assert.equal(await write([GLOBAL_ADMIN]), "200");
    assert.equal(await write([USER_ADMIN]), "200");
    assert.equal(await write(["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"]), DENIED, "App Admin");
    assert.equal(await write([], [GLOBAL_ADMIN]), DENIED, "in roles, not wids");
  });

  test("an unknown user is 403 without read-any permission and 404 with it", async () => {
    const cases: [Caller, string, string][] = [
      ["user", "User.Read", DENIED],
      ["user", "User.ReadWrite", DENIED],
      ["user", "User.ReadBasic.All", NOT_FOUND],
      ["user", "ProfilePhoto.Read.All", NOT_FOUND],
      ["app", "User.Read.All", NOT_FOUND],
      ["app", "Group.ReadWrite.All", DENIED],
    ];
    for (const key of ["nobody@contoso.test", randomUUID()]) {
      for (const [caller, permission, expected] of cases) {
        const token = await mint(caller, [permission]);
        for (const tail of ["", "/photo", "/photos", "/photos/48x48/$value"]) {
          const response = await call("GET", `/users/${key}${tail}`, token);
          assert.equal(outcome(response), expected, `${caller} ${permission} ${key}${tail}`);
          if (expected === NOT_FOUND) {
            assert.equal(response.json().error.message, notFoundMessage(key));
          }
        }
      }
      const writer = await mint("user", ["User.ReadWrite"]);
      assert.equal(
        outcome(await call("PUT", `/users/${key}/photo/$value`, writer, table.jpeg)),
        DENIED,
      );
    }
  });

  test("an unknown group or team is 403 without read permission and 404 with it", async () => {
    const group = randomUUID();
    const cases: [string, string, string][] = [
      ["User.Read", `/groups/${group}/photo`, DENIED],
      ["Group.Read.All", `/groups/${group}/photo`, NOT_FOUND],
      ["User.Read", `/teams/${group}/photo`, DENIED],
      ["Team.ReadBasic.All", `/teams/${group}/photo`, NOT_FOUND],
    ];
    for (const [permission, path, expected] of cases) {
      const response = await call("GET", path, await mint("user", [permission]));
      assert.equal(outcome(response), expected, `${permission} ${path}`);
    }
  });
});
