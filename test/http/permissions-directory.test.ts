/**
 * The directory permissions of contract section 6, through HTTP: each operation is tried with
 * every single permission and with none.
 */
import { describe } from "node:test";
import {
  CONTACTS_READ,
  CONTACTS_WRITE,
  groupBody,
  permissionFixture,
  READ_ANY_APP,
  READ_ANY_DELEGATED,
  READ_SELF,
} from "../helpers/permission-table.ts";

const { ids, create, newUserBody, tableTests } = permissionFixture();

describe("directory permissions (contract section 6)", () => {
  const freshUser = () => create("/users", newUserBody());
  tableTests([
    ["create a user", "app", "POST /users", ["User.ReadWrite.All"], { body: newUserBody }],
    ["create a user", "admin", "POST /users", ["User.ReadWrite.All"], { body: newUserBody }],
    ["read /me", "user", "GET /me", READ_SELF],
    ["read another user", "user", "GET /users/{bob}", READ_ANY_DELEGATED],
    ["list users", "user", "GET /users", READ_ANY_DELEGATED],
    ["list users", "app", "GET /users", READ_ANY_APP],
    [
      "update /me",
      "user",
      "PATCH /me",
      ["User.ReadWrite", "User.ReadWrite.All"],
      { body: () => ({ city: "Oslo" }), status: 204 },
    ],
    [
      "update a user",
      "app",
      "PATCH /users/{bob}",
      ["User.ReadWrite.All"],
      { body: () => ({ city: "Oslo" }), status: 204 },
    ],
    ["delete a user", "app", "DELETE /users/{fresh}", ["User.ReadWrite.All"], { fresh: freshUser }],
    ["create a group", "app", "POST /groups", ["Group.ReadWrite.All"], { body: groupBody }],
    ["read a group", "app", "GET /groups/{group}", ["Group.Read.All", "Group.ReadWrite.All"]],
    ["list groups", "user", "GET /groups", ["Group.Read.All", "Group.ReadWrite.All"]],
    [
      "delete a group",
      "user",
      "DELETE /groups/{fresh}",
      ["Group.ReadWrite.All"],
      { fresh: () => create("/groups", groupBody()) },
    ],
    [
      "create an own contact",
      "user",
      "POST /me/contacts",
      CONTACTS_WRITE,
      { body: () => ({ displayName: "C" }) },
    ],
    ["list own contact folders", "user", "GET /me/contactFolders", CONTACTS_READ],
    [
      "delete an own contact",
      "user",
      "DELETE /me/contacts/{fresh}",
      CONTACTS_WRITE,
      { fresh: () => create(`/users/${ids.alice}/contacts`, { displayName: "C" }) },
    ],
    ["list a user's contacts", "app", "GET /users/{bob}/contacts", CONTACTS_READ],
    ["list another user's contacts", "admin", "GET /users/{bob}/contacts", []],
  ]);
});
