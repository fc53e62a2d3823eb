/**
 * The permission table of contract section 5 (and the directory permissions of section 6),
 * through HTTP: each operation is tried with every single permission and with none.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  GLOBAL_ADMIN,
  type Method,
  notFoundMessage,
  outcome,
  send,
  USER_ADMIN,
} from "../helpers/graph-calls.ts";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

const READ_ANY_APP = [
  "User.Read.All",
  "User.ReadWrite.All",
  "ProfilePhoto.Read.All",
  "ProfilePhoto.ReadWrite.All",
];
const READ_ANY_DELEGATED = ["User.ReadBasic.All", ...READ_ANY_APP];
const READ_SELF = ["User.Read", "User.ReadWrite", ...READ_ANY_DELEGATED];
const WRITE_SELF = ["User.ReadWrite", "User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const WRITE_ANY = ["User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const GROUP_WRITE = ["Group.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const GROUP_READ = ["Group.Read.All", "ProfilePhoto.Read.All", ...GROUP_WRITE];
const TEAM_WRITE = ["TeamSettings.ReadWrite.All"];
const TEAM_READ = ["Team.ReadBasic.All", "TeamSettings.Read.All", ...TEAM_WRITE];
const CONTACTS_WRITE = ["Contacts.ReadWrite"];
const CONTACTS_READ = ["Contacts.Read", ...CONTACTS_WRITE];
const ALL = [...new Set([...READ_SELF, ...GROUP_READ, ...TEAM_READ, ...CONTACTS_READ])];
const DENIED = "403 ErrorAccessDenied";
const NOT_FOUND = "404 Request_ResourceNotFound";

/** `user` is Alice without an admin role, `admin` is Alice as Global Administrator. */
type Caller = "user" | "admin" | "app";
interface RowOptions {
  status?: number;
  body?: () => object;
  /** Runs before every attempt (a fresh target to delete); its result fills `{fresh}`. */
  fresh?: () => Promise<string>;
}
/** [operation, caller, "METHOD /path with {placeholders}", permissions that succeed, options] */
type Row = [string, Caller, string, readonly string[], RowOptions?];

let service: TestService;
let appAll: string;
let jpeg: Buffer;
let count = 0;
/** Placeholders of request templates: ids of the objects made in `before`. */
const ids: Record<string, string> = {};

const fill = (template: string, fresh = "") =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => (name === "fresh" ? fresh : ids[name]) ?? "");
const call = (method: Method, path: string, token: string, body?: object | Buffer) =>
  send(service, method, `/v1.0${fill(path)}`, token, body);
const mint = (caller: Caller, permissions: readonly string[]) =>
  caller === "app"
    ? service.issuer.mint({ app: true, roles: [...permissions] })
    : service.issuer.mint({
        user: ids.alice ?? "",
        scopes: [...permissions],
        adminRoles: caller === "admin" ? [GLOBAL_ADMIN] : [],
      });
async function create(path: string, body: object): Promise<string> {
  const response = await call("POST", path, appAll, body);
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}
async function upload(owner: string): Promise<string> {
  assert.equal(outcome(await call("PUT", `${owner}/photo/$value`, appAll, jpeg)), "200");
  return owner;
}
const newUserBody = () => ({ displayName: "U", userPrincipalName: `u.${++count}@contoso.test` });
const groupBody = () => ({ displayName: "G", mailNickname: "g" });

before(async () => {
  service = await startService();
  appAll = await service.issuer.mint({ app: true, roles: ALL });
  jpeg = await makeJpeg(64, 64);
  ids.alice = await create("/users", {
    displayName: "Alice",
    userPrincipalName: "Alice@Contoso.test",
  });
  ids.aliceUpper = "ALICE@CONTOSO.TEST";
  ids.bob = await create("/users", newUserBody());
  ids.group = await create("/groups", groupBody());
  await upload(`/groups/${ids.group}`);
  const owners = { "owners@odata.bind": [`https://graph.microsoft.com/v1.0/users/${ids.alice}`] };
  ids.owned = await create("/groups", { ...groupBody(), ...owners });
  await upload(`/users/${ids.alice}`);
  await upload(`/users/${ids.bob}`);
  for (const who of ["alice", "bob"]) {
    const box = `/users/${ids[who]}`;
    ids[`${who}Contact`] = await create(`${box}/contacts`, { displayName: "C" });
    ids[`${who}Folder`] = await create(`${box}/contactFolders`, { displayName: "F" });
    const folder = `${box}/contactFolders/${ids[`${who}Folder`]}`;
    ids[`${who}FolderContact`] = await create(`${folder}/contacts`, { displayName: "In F" });
    await upload(`${box}/contacts/${ids[`${who}Contact`]}`);
    await upload(`${folder}/contacts/${ids[`${who}FolderContact`]}`);
  }
});
after(() => service.close());

const SUCCESS: Record<Method, number> = { GET: 200, PUT: 200, PATCH: 200, POST: 201, DELETE: 204 };

/** One test per row: every single permission, and none, gets exactly the expected outcome. */
function tableTests(rows: readonly Row[]) {
  for (const [operation, caller, request, allowed, options = {}] of rows) {
    const [method, path] = request.split(" ") as [Method, string];
    test(`${operation} (${caller} ${request}): ${allowed.join(", ") || "nothing"}`, async () => {
      const expected: Record<string, string> = {};
      const actual: Record<string, string> = {};
      for (const permission of [...ALL, "(none)"]) {
        const success = String(options.status ?? SUCCESS[method]);
        expected[permission] = allowed.includes(permission) ? success : DENIED;
        const fresh = (await options.fresh?.()) ?? "";
        const image = method === "PUT" || method === "PATCH" ? jpeg : undefined;
        const token = await mint(caller, permission === "(none)" ? [] : [permission]);
        const response = await call(method, fill(path, fresh), token, options.body?.() ?? image);
        actual[permission] = outcome(response);
      }
      assert.deepEqual(actual, expected);
    });
  }
}

const ALICE_CONTACT = "/me/contacts/{aliceContact}/photo/$value";
const BOB_CONTACT = "/users/{bob}/contacts/{bobContact}/photo/$value";
const BOB_FOLDER_CONTACT = "/users/{bob}/contactFolders/{bobFolder}/contacts/{bobFolderContact}";

describe("photo permissions (contract section 5)", () => {
  tableTests([
    ["read own photo", "user", "GET /me/photo/$value", READ_SELF],
    ["read own photo", "user", "GET /users/{alice}/photo", READ_SELF],
    ["read own photo", "user", "GET /users/{aliceUpper}/photos/48x48", READ_SELF],
    ["read another user's photo", "user", "GET /users/{bob}/photo/$value", READ_ANY_DELEGATED],
    ["read another user's photo", "admin", "GET /users/{bob}/photo", READ_ANY_DELEGATED],
    ["read a user's photo", "app", "GET /users/{bob}/photo/$value", READ_ANY_APP],
    ["list a user's photos", "app", "GET /users/{bob}/photos", READ_ANY_APP],
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
      const response = await call(method, path, token, method === "PUT" ? jpeg : undefined);
      assert.equal(outcome(response), DENIED, request);
    }
    assert.equal(outcome(await call("GET", BOB_CONTACT, appAll)), "200");
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
      const body = method === "PATCH" ? { city: "Oslo" } : method === "PUT" ? jpeg : undefined;
      const response = await call(method, path, appAll, body);
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
      const token = await service.issuer.mint({ user, scopes, roles, adminRoles: [GLOBAL_ADMIN] });
      for (const request of requests) {
        const [method, path] = request.split(" ") as [Method, string];
        const response = await call(method, path, token, method === "PUT" ? jpeg : undefined);
        assert.equal(outcome(response), DENIED, `${scopes} ${request}`);
      }
    }
  });

  test("admin roles come from wids: Global and User Administrator count, others do not", async () => {
    const write = async (adminRoles: string[], roles?: string[]) => {
      const scopes = ["User.ReadWrite.All"];
      const claims = { user: ids.alice ?? "", scopes, adminRoles, ...(roles && { roles }) };
      const token = await service.issuer.mint(claims);
      return outcome(await call("PUT", "/users/{bob}/photo/$value", token, jpeg));
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
        for (const tail of ["", "/photo", "/photos/48x48/$value"]) {
          const response = await call("GET", `/users/${key}${tail}`, token);
          assert.equal(outcome(response), expected, `${caller} ${permission} ${key}${tail}`);
          if (expected === NOT_FOUND) {
            assert.equal(response.json().error.message, notFoundMessage(key));
          }
        }
      }
      const writer = await mint("user", ["User.ReadWrite"]);
      assert.equal(outcome(await call("PUT", `/users/${key}/photo/$value`, writer, jpeg)), DENIED);
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
