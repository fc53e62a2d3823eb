/**
 * The permission table of contract section 5 (and the directory permissions of section 6): the
 * permission sets, the objects the rows point at, and one test per row that tries the operation
 * with every single permission and with none.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GLOBAL_ADMIN, type Method, outcome, type Reply, send } from "./graph-calls.ts";
import { makeJpeg } from "./images.ts";
import { startService, type TestService } from "./service.ts";

export const READ_ANY_APP = [
  "User.Read.All",
  "User.ReadWrite.All",
  "ProfilePhoto.Read.All",
  "ProfilePhoto.ReadWrite.All",
];
export const READ_ANY_DELEGATED = ["User.ReadBasic.All", ...READ_ANY_APP];
export const READ_SELF = ["User.Read", "User.ReadWrite", ...READ_ANY_DELEGATED];
export const WRITE_SELF = ["User.ReadWrite", "User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
export const WRITE_ANY = ["User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
export const GROUP_WRITE = ["Group.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
export const GROUP_READ = ["Group.Read.All", "ProfilePhoto.Read.All", ...GROUP_WRITE];
export const TEAM_WRITE = ["TeamSettings.ReadWrite.All"];
export const TEAM_READ = ["Team.ReadBasic.All", "TeamSettings.Read.All", ...TEAM_WRITE];
export const CONTACTS_WRITE = ["Contacts.ReadWrite"];
export const CONTACTS_READ = ["Contacts.Read", ...CONTACTS_WRITE];
export const ALL = [...new Set([...READ_SELF, ...GROUP_READ, ...TEAM_READ, ...CONTACTS_READ])];
export const DENIED = "403 ErrorAccessDenied";
export const NOT_FOUND = "404 Request_ResourceNotFound";

export const ALICE_CONTACT = "/me/contacts/{aliceContact}/photo/$value";
export const BOB_CONTACT = "/users/{bob}/contacts/{bobContact}/photo/$value";
export const BOB_FOLDER_CONTACT =
  "/users/{bob}/contactFolders/{bobFolder}/contacts/{bobFolderContact}";

/** `user` is Alice without an admin role, `admin` is Alice as Global Administrator. */
export type Caller = "user" | "admin" | "app";
export interface RowOptions {
  status?: number;
  body?: () => object;
  /** Runs before every attempt (a fresh target to delete); its result fills `{fresh}`. */
  fresh?: () => Promise<string>;
}
/** [operation, caller, "METHOD /path with {placeholders}", permissions that succeed, options] */
export type Row = [string, Caller, string, readonly string[], RowOptions?];

export interface PermissionFixture {
  /** Set once the `before` hook has run, like `appAll` and `jpeg`. */
  readonly service: TestService;
  /** An application token with every permission of the table. */
  readonly appAll: string;
  /** A 64x64 JPEG to upload. */
  readonly jpeg: Buffer;
  /**
   * Placeholders of request templates: alice, aliceUpper, bob, group, owned (a group Alice
   * owns), and for alice and bob: <who>Contact, <who>Folder, <who>FolderContact.
   */
  ids: Record<string, string>;
  /** One request under /v1.0, its `{placeholders}` filled. */
  call(method: Method, path: string, token: string, body?: object | Buffer): Promise<Reply>;
  /** A token of `caller` with exactly these permissions. */
  mint(caller: Caller, permissions: readonly string[]): Promise<string>;
  /** POST with `appAll` that must answer 201; returns the new id. */
  create(path: string, body: object): Promise<string>;
  /** Uploads the photo of `owner` with `appAll`; returns `owner`. */
  upload(owner: string): Promise<string>;
  /** A body for POST /users with a userPrincipalName not used before. */
  newUserBody(): { displayName: string; userPrincipalName: string };
  /** One test per row: every single permission, and none, gets exactly the expected outcome. */
  tableTests(rows: readonly Row[]): void;
}

export const groupBody = () => ({ displayName: "G", mailNickname: "g" });

const SUCCESS: Record<Method, number> = { GET: 200, PUT: 200, PATCH: 200, POST: 201, DELETE: 204 };

/**
 * Registers, in the calling test file, the hooks that start a service with Alice, Bob, their
 * contacts and folders, two groups and their photos (see `ids`), and close it afterwards.
 */
export function permissionFixture(): PermissionFixture {
  let service: TestService;
  let appAll: string;
  let jpeg: Buffer;
  let count = 0;
  const ids: Record<string, string> = {};

  const fill = (template: string, fresh = "") =>
    template.replace(
      /\{(\w+)\}/g,
      (_, name: string) => (name === "fresh" ? fresh : ids[name]) ?? "",
    );
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

  return {
    get service() {
      return service;
    },
    get appAll() {
      return appAll;
    },
    get jpeg() {
      return jpeg;
    },
    ids,
    call,
    mint,
    create,
    upload,
    newUserBody,
    tableTests,
  };
}
