/** Users of the directory: lookup by id or userPrincipalName, and the Graph user operations. */
import { randomUUID } from "node:crypto";
import { mayManageUser, mayReadAnyUser, requirePermission } from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";
import { GraphError } from "../errors.ts";
import type { DirectoryObject, PageRequest, Store } from "../photos/store.ts";
import { pageViews, type View, type ViewCondition } from "./paging.ts";
import {
  badRequest,
  isGuid,
  publicView,
  readProperties,
  requireStrings,
  USER_PROPERTIES,
} from "./properties.ts";

/** `me`, or a user key from a URL: an object id or a userPrincipalName. */
export type UserRef = { me: true } | { me: false; key: string };

const USER_TYPE = "microsoft.graph.user";

/** Graph's 404 for an unknown user or group. */
export function resourceNotFound(key: string): GraphError {
  return new GraphError(
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/** Finds a user of the tenant by id (GUID) or userPrincipalName (case-insensitive). */
export async function findUser(
  store: Store,
  tenantId: string,
  key: string,
): Promise<DirectoryObject | undefined> {
  if (isGuid(key)) return store.getObject(tenantId, "user", key.toLowerCase());
  return store.findByUniqueKey(tenantId, "user", key.toLowerCase());
}

/** The signed-in user's id; `/me` needs a delegated token. */
export function meId(principal: Principal): string {
  if (principal.kind !== "delegated" || principal.userId === undefined) {
    throw new GraphError(
      "BadRequest",
      "/me request is only valid with delegated authentication flow.",
    );
  }
  return principal.userId;
}

/**
 * Resolves a user reference, or throws: 400 for `/me` with an application token, 404 for an
 * unknown user when the caller may read other users, and 403 when it may not (so that a caller
 * who may not see other users cannot learn which exist).
 */
export async function resolveUser(
  store: Store,
  principal: Principal,
  ref: UserRef,
): Promise<DirectoryObject> {
  const key = userKey(principal, ref);
  const user = await findUser(store, principal.tenantId, key);
  if (user) return user;
  return unknownUser(principal, ref, key);
}

/** The id or userPrincipalName a reference names; 400 for `/me` with an application token. */
export function userKey(principal: Principal, ref: UserRef): string {
  return ref.me ? meId(principal) : ref.key;
}

/** Throws for a reference that names no user: 404, or 403 for callers who may not see users. */
export function unknownUser(principal: Principal, ref: UserRef, key: string): never {
  // Callers who may not read other users learn nothing about which exist.
  requirePermission(ref.me || mayReadAnyUser(principal));
  throw resourceNotFound(key);
}

export function createUserDirectory(store: Store) {
  return {
    async create(principal: Principal, body: unknown): Promise<View> {
      requirePermission(mayManageUser(principal, undefined));
      const props = readProperties(body, USER_PROPERTIES, USER_TYPE, ["id"]);
      requireStrings(props, ["displayName", "userPrincipalName"]);
      const upn = String(props.userPrincipalName);
      if (!upn.includes("@")) throw badRequest("Property 'userPrincipalName' must contain '@'.");
      const requested = (body as Record<string, unknown>).id;
      if (requested !== undefined && (typeof requested !== "string" || !isGuid(requested))) {
        throw badRequest("Property 'id' must be a GUID.");
      }
      const data = {
        accountEnabled: true,
        mailNickname: upn.slice(0, upn.indexOf("@")),
        ...props,
      };
      const id = (requested as string | undefined)?.toLowerCase() ?? randomUUID();
      const result = await store.insertObject({
        tenantId: principal.tenantId,
        id,
        kind: "user",
        ownerId: null,
        parentId: null,
        uniqueKey: upn.toLowerCase(),
        data,
      });
      if (!result.ok)
        throw duplicate(result.reason === "duplicateKey" ? "userPrincipalName" : "id");
      return publicView(id, data);
    },

    async get(principal: Principal, ref: UserRef): Promise<View> {
      const user = await resolveUser(store, principal, ref);
      const self = principal.userId === user.id;
      requirePermission(mayReadAnyUser(principal) || (self && mayReadSelf(principal)));
      return publicView(user.id, user.data);
    },

    /** One page of the tenant's users (those that meet `condition`), oldest first. */
    async page(principal: Principal, page: PageRequest, condition?: ViewCondition) {
      requirePermission(mayReadAnyUser(principal));
      return pageViews(store, principal.tenantId, "user", page, condition);
    },

    async update(principal: Principal, ref: UserRef, body: unknown): Promise<void> {
      const user = await resolveUser(store, principal, ref);
      requirePermission(mayManageUser(principal, user.id));
      const props = readProperties(body, USER_PROPERTIES, USER_TYPE);
      const data = { ...user.data, ...props };
      requireStrings(data, ["displayName", "userPrincipalName"]);
      const upn = String(data.userPrincipalName);
      if (!upn.includes("@")) throw badRequest("Property 'userPrincipalName' must contain '@'.");
      const result = await store.updateObject({ ...user, uniqueKey: upn.toLowerCase(), data });
      if (!result.ok) {
        if (result.reason === "missing") throw resourceNotFound(user.id);
        throw duplicate("userPrincipalName");
      }
    },

    async remove(principal: Principal, ref: UserRef): Promise<void> {
      requirePermission(principal.permissions.has("User.ReadWrite.All"));
      const user = await resolveUser(store, principal, ref);
      if (!(await store.deleteObject(principal.tenantId, user.id))) throw resourceNotFound(user.id);
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;

function mayReadSelf(principal: Principal): boolean {
  return ["User.Read", "User.ReadWrite"].some((scope) => principal.permissions.has(scope));
}

function duplicate(property: string): GraphError {
  return badRequest(`Another object with the same value for property ${property} already exists.`);
}
