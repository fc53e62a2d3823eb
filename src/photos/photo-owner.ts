/**
 * Which object a photo URL names, and whether the caller may read or write its photo.
 * Permission is decided before existence is revealed wherever existence could leak.
 */
import {
  type Access,
  mayAccessTeamPhoto,
  mayAccessUserPhoto,
  mayReadGroup,
  mayWriteGroupPhoto,
  requirePermission,
} from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";
import { findContact, type MailboxRef, resolveMailbox } from "../directory/contacts.ts";
import { findGroup, groupOwners } from "../directory/groups.ts";
import { isGuid } from "../directory/properties.ts";
import {
  resolveUser,
  resourceNotFound,
  type UserRef,
  unknownUser,
  userKey,
} from "../directory/users.ts";
import type { SizeInfo, Store } from "./store.ts";

export type OwnerPath =
  | { kind: "user"; user: UserRef }
  | { kind: "group"; id: string }
  | { kind: "team"; id: string }
  | { kind: "contact"; mailbox: MailboxRef; contactId: string };

/** The object whose photo is read or written. */
export interface PhotoOwner {
  tenantId: string;
  id: string;
  kind: OwnerPath["kind"];
  /**
   * The size a read asked for (`edge`, or undefined for the largest), read together with the
   * owner in one store call; `size` undefined when the photo has no such size.
   */
  prefetched?: { edge: number | undefined; size: SizeInfo | undefined };
}

/**
 * `read`: the caller will read this size (`edge`, or undefined for the largest); where the
 * user is named by id, the owner and the size's metadata are then read in one step.
 */
export async function resolvePhotoOwner(
  store: Store,
  principal: Principal,
  path: OwnerPath,
  access: Access,
  read?: { edge: number | undefined },
): Promise<PhotoOwner> {
  const tenantId = principal.tenantId;
  switch (path.kind) {
    case "user": {
      if (read && access === "read") {
        const owner = await readUserById(store, principal, path.user, read.edge);
        if (owner) return owner;
      }
      const user = await resolveUser(store, principal, path.user);
      requirePermission(mayAccessUserPhoto(principal, user.id, access));
      return { tenantId, id: user.id, kind: "user" };
    }
    case "group":
    case "team": {
      if (path.kind === "team") requirePermission(mayAccessTeamPhoto(principal, access));
      else if (access === "read") requirePermission(mayReadGroup(principal));
      else requirePermission(mayWriteGroupPhoto(principal, true));
      const group = await findGroup(store, tenantId, path.id);
      if (!group) throw resourceNotFound(path.id);
      if (path.kind === "group" && access === "write") {
        const isOwner =
          principal.userId !== undefined && groupOwners(group).includes(principal.userId);
        requirePermission(mayWriteGroupPhoto(principal, isOwner));
      }
      return { tenantId, id: group.id, kind: path.kind };
    }
    case "contact": {
      const mailbox = await resolveMailbox(store, principal, path.mailbox, access);
      const contact = await findContact(store, mailbox, path.contactId);
      return { tenantId, id: contact.id, kind: "contact" };
    }
  }
}

/**
 * `/me` and `/users/{id}` reads: the user and one size's metadata in one store call, with the
 * answers and order of checks of `resolveUser` then `mayAccessUserPhoto`. Undefined for a
 * userPrincipalName key (the general path looks those up).
 */
async function readUserById(
  store: Store,
  principal: Principal,
  ref: UserRef,
  edge: number | undefined,
): Promise<PhotoOwner | undefined> {
  const named = byId(principal, ref);
  if (!named) return undefined;
  const found = await store.getPhotoSizeInfo(principal.tenantId, "user", named.id, edge);
  return userReadOwner(principal, ref, named, edge, found);
}

/**
 * `resolvePhotoOwner(store, principal, { kind: "user", user: ref }, "read", { edge })` without
 * a promise, for a store that reads without waiting (`getPhotoSizeInfoSync`): the same owner or
 * the same error, thrown. Undefined when it cannot answer so (another store, a
 * userPrincipalName key): the caller then asks `resolvePhotoOwner`.
 */
export function resolveUserReadNow(
  store: Store,
  principal: Principal,
  ref: UserRef,
  edge: number | undefined,
): PhotoOwner | undefined {
  if (!store.getPhotoSizeInfoSync) return undefined;
  const named = byId(principal, ref);
  if (!named) return undefined;
  const found = store.getPhotoSizeInfoSync(principal.tenantId, "user", named.id, edge);
  return userReadOwner(principal, ref, named, edge, found);
}

/** The user's key as named and its id, when the key is an id (a GUID); else undefined. */
function byId(principal: Principal, ref: UserRef): { key: string; id: string } | undefined {
  const key = userKey(principal, ref);
  return isGuid(key) ? { key, id: key.toLowerCase() } : undefined;
}

/** The decision of a read by id, from the store's answer for that user. */
function userReadOwner(
  principal: Principal,
  ref: UserRef,
  { key, id }: { key: string; id: string },
  edge: number | undefined,
  found: { size: SizeInfo | undefined } | undefined,
): PhotoOwner {
  if (!found) return unknownUser(principal, ref, key);
  requirePermission(mayAccessUserPhoto(principal, id, "read"));
  return { tenantId: principal.tenantId, id, kind: "user", prefetched: { edge, size: found.size } };
}
