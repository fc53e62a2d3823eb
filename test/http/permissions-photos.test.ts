/**
 * The photo permission table of contract section 5, through HTTP: each operation is tried with
 * every single permission and with none.
 */
import { describe } from "node:test";
import {
  ALICE_CONTACT,
  BOB_CONTACT,
  BOB_FOLDER_CONTACT,
  CONTACTS_READ,
  CONTACTS_WRITE,
  GROUP_READ,
  GROUP_WRITE,
  permissionFixture,
  READ_ANY_APP,
  READ_ANY_DELEGATED,
  READ_SELF,
  TEAM_READ,
  TEAM_WRITE,
  WRITE_ANY,
  WRITE_SELF,
} from "../helpers/permission-table.ts";

const { ids, upload, tableTests } = permissionFixture();

describe("photo permissions (contract section 5)", () => {
  tableTests([
    ["read own photo", "user", "GET /me/photo/$value", READ_SELF],
    ["read own photo", "user", "GET /users/{alice}/photo", READ_SELF],
    ["read own photo", "user", "GET /users/{aliceUpper}/photos/48x48", READ_SELF],
    ["read another user's photo", "user", "GET /users/{bob}/photo/$value", READ_ANY_DELEGATED],
    ["read another user's photo", "admin", "GET /users/{bob}/photo", READ_ANY_DELEGATED],
    ["read a user's photo", "app", "GET /users/{bob}/photo/$value", READ_ANY_APP],
    ["list a user's photos", "app", "GET /users/{bob}/photos", READ_ANY_APP],
    ["list own photos", "user", "GET /users/{alice}/photos", READ_SELF],
    ["list another user's photos", "user", "GET /users/{bob}/photos", READ_ANY_DELEGATED],
    ["write own photo", "user", "PUT /me/photo/$value", WRITE_SELF],
    ["write own photo", "user", "PATCH /users/{alice}/photo/$value", WRITE_SELF],
    [
      "delete own photo",
      "user",
      "DELETE /me/photo/$value",
      WRITE_SELF,
      { fresh: () => upload(`/users/${ids.alice}`) },
    ],
    ["write another user's photo, no admin role", "user", "PUT /users/{bob}/photo/$value", []],
    ["write another user's photo", "admin", "PUT /users/{bob}/photo/$value", WRITE_ANY],
    ["write a user's photo", "app", "PUT /users/{bob}/photo/$value", WRITE_ANY],
    [
      "delete a user's photo",
      "app",
      "DELETE /users/{bob}/photo/$value",
      WRITE_ANY,
      { fresh: () => upload(`/users/${ids.bob}`) },
    ],
    ["read a group's photo", "user", "GET /groups/{group}/photo/$value", GROUP_READ],
    ["read a group's photo", "app", "GET /groups/{group}/photos/48X48", GROUP_READ],
    ["write the photo of a group it owns", "user", "PUT /groups/{owned}/photo/$value", GROUP_WRITE],
    ["write the photo of a group it does not own", "user", "PUT /groups/{group}/photo/$value", []],
    ["write a group's photo", "admin", "PUT /groups/{group}/photo/$value", GROUP_WRITE],
    [
      "write a group's photo, no owner rule",
      "app",
      "PUT /groups/{group}/photo/$value",
      GROUP_WRITE,
    ],
    [
      "delete a group's photo",
      "app",
      "DELETE /groups/{group}/photo/$value",
      GROUP_WRITE,
      { fresh: () => upload(`/groups/${ids.group}`) },
    ],
    ["read a team's photo", "user", "GET /teams/{group}/photo/$value", TEAM_READ],
    ["read a team's photo", "app", "GET /teams/{group}/photo", TEAM_READ],
    [
      "write a team's photo",
      "user",
      "PUT /teams/{group}/photo/$value",
      TEAM_WRITE,
      { status: 204 },
    ],
    [
      "write a team's photo",
      "app",
      "PATCH /teams/{group}/photo/$value",
      TEAM_WRITE,
      { status: 204 },
    ],
    ["read an own contact's photo", "user", `GET ${ALICE_CONTACT}`, CONTACTS_READ],
    [
      "read an own folder contact's photo",
      "user",
      "GET /users/{alice}/contactFolders/{aliceFolder}/contacts/{aliceFolderContact}/photo",
      CONTACTS_READ,
    ],
    ["read a contact's photo", "app", `GET ${BOB_CONTACT}`, CONTACTS_READ],
    ["write an own contact's photo", "user", `PUT ${ALICE_CONTACT}`, CONTACTS_WRITE],
    ["write a contact's photo", "app", `PUT ${BOB_FOLDER_CONTACT}/photo/$value`, CONTACTS_WRITE],
    ["read another user's contact's photo", "admin", `GET ${BOB_CONTACT}`, []],
    ["write another user's contact's photo", "admin", `PUT ${BOB_CONTACT}`, []],
  ]);
});
