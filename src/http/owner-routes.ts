/**
 * The URL prefixes of objects that own a photo (contract section 1), with how each maps to the
 * domain's `OwnerPath` and to the entity path Graph writes in `@odata.context`.
 */
import type { Principal } from "../auth/principal.ts";
import type { UserRef } from "../directory/users.ts";
import type { OwnerPath } from "../photos/photo-owner.ts";

export type Params = Record<string, string>;

/**
 * The longest URL segment the router reads as a parameter, as sent (percent-encoded): room for
 * any userPrincipalName (at most 113 characters), encoded. Longer ones are 400 `BadRequest`.
 */
export const MAX_PARAM_LENGTH = 512;

export interface OwnerRoute {
  /** Fastify path prefix below the version, e.g. `/users/:userKey`. */
  prefix: string;
  /** Users and groups have a `photos` collection; contacts and teams only `photo`. */
  hasCollection: boolean;
  /** Users and groups photos can be deleted; contacts and teams answer 405. */
  deletable: boolean;
  toPath(params: Params): OwnerPath;
  /** `users('id')`, `groups('id')/…` as written in `@odata.context`. */
  entityPath(params: Params, principal: Principal): string;
}

const param = (params: Params, name: string): string => params[name] ?? "";
const quote = (key: string): string => `'${key.replace(/'/g, "''")}'`;

const me: UserRef = { me: true };
const userRef = (params: Params): UserRef => ({ me: false, key: param(params, "userKey") });
const userEntity = (params: Params, principal: Principal): string =>
  `users(${quote(params.userKey ?? principal.userId ?? "")})`;

const contact = (user: (params: Params) => UserRef, inFolder: boolean) => ({
  hasCollection: false,
  deletable: false,
  toPath: (params: Params): OwnerPath => ({
    kind: "contact",
    mailbox: {
      user: user(params),
      folderId: inFolder ? param(params, "folderId") : undefined,
    },
    contactId: param(params, "contactId"),
  }),
  entityPath: (params: Params, principal: Principal): string =>
    `${userEntity(params, principal)}${
      inFolder ? `/contactFolders(${quote(param(params, "folderId"))})` : ""
    }/contacts(${quote(param(params, "contactId"))})`,
});

export const ME_ROUTE: OwnerRoute = {
  prefix: "/me",
  hasCollection: true,
  deletable: true,
  toPath: () => ({ kind: "user", user: me }),
  entityPath: userEntity,
};

export const USER_ROUTE: OwnerRoute = {
  prefix: "/users/:userKey",
  hasCollection: true,
  deletable: true,
  toPath: (params) => ({ kind: "user", user: userRef(params) }),
  entityPath: userEntity,
};

export const OWNER_ROUTES: readonly OwnerRoute[] = [
  ME_ROUTE,
  USER_ROUTE,
  {
    prefix: "/groups/:groupId",
    hasCollection: true,
    deletable: true,
    toPath: (params) => ({ kind: "group", id: param(params, "groupId") }),
    entityPath: (params) => `groups(${quote(param(params, "groupId"))})`,
  },
  {
    prefix: "/teams/:teamId",
    hasCollection: false,
    deletable: false,
    toPath: (params) => ({ kind: "team", id: param(params, "teamId") }),
    entityPath: (params) => `teams(${quote(param(params, "teamId"))})`,
  },
  { prefix: "/me/contacts/:contactId", ...contact(() => me, false) },
  { prefix: "/users/:userKey/contacts/:contactId", ...contact(userRef, false) },
  { prefix: "/me/contactFolders/:folderId/contacts/:contactId", ...contact(() => me, true) },
  {
    prefix: "/users/:userKey/contactFolders/:folderId/contacts/:contactId",
    ...contact(userRef, true),
  },
];
