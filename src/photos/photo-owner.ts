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
  /** Every size of the photo (empty without one), when a listing read them with the owner. */
  prefetchedSizes?: readonly SizeInfo[];
}

/** What a read will ask for: one size (`edge`, or undefined for the largest), or every size. */
export type ReadAhead = { edge: number | undefined } | { sizes: true };

/**
 * `read`: what the caller will read (`ReadAhead`); where the user is named by id, the owner
 * and that metadata are then read in one step.
 */
export async function resolvePhotoOwner(
  store: Store,
  principal: Principal,
  path: OwnerPath,
  access: Access,
  read?: ReadAhead,
): Promise<PhotoOwner> {
  const tenantId = principal.tenantId;
  switch (path.kind) {
    case "user": {
      if (read && access === "read") {
        const owner = await readUserById(store, principal, path.user, read);
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
  read: ReadAhead,
): Promise<PhotoOwner | undefined> {
  const named = byId(principal, ref);
  if (!named) return undefined;
  const { tenantId } = principal;
  const found =
    "sizes" in read
      ? await store.getPhotoSizeList(tenantId, "user", named.id)
      : await store.getPhotoSizeInfo(tenantId, "user", named.id, read.edge);
  return userReadOwner(principal, ref, named, read, found);
}

/**
 * `resolvePhotoOwner(store, principal, { kind: "user", user: ref }, "read", read)` without a
 * promise, for a store that reads without waiting (`getPhotoSizeInfoSync` and
 * `getPhotoSizeListSync`): the same owner or the same error, thrown. Undefined when it cannot
 * answer so (another store, a userPrincipalName key): the caller then asks `resolvePhotoOwner`.
 */
export function resolveUserReadNow(
  store: Store,
  principal: Principal,
  ref: UserRef,
  read: ReadAhead,
): PhotoOwner | undefined {
  if (!store.getPhotoSizeInfoSync || !store.getPhotoSizeListSync) return undefined;
  const named = byId(principal, ref);
  if (!named) return undefined;
  const { tenantId } = principal;
  const found =
    "sizes" in read
      ? store.getPhotoSizeListSync(tenantId, "user", named.id)
      : store.getPhotoSizeInfoSync(tenantId, "user", named.id, read.edge);
  return userReadOwner(principal, ref, named, read, found);
}

/** The user's key as named and its id, when the key is an id (a GUID); else undefined. */
function byId(principal: Principal, ref: UserRef): { key: string; id: string } | undefined {
  const key = userKey(principal, ref);
  return isGuid(key) ? { key, id: key.toLowerCase() } : undefined;
}

/** The decision of a read by id, from the store's answer for that user: its owner, or throws. */
function userReadOwner(
  principal: Principal,
  ref: UserRef,
  { key, id }: { key: string; id: string },
  read: ReadAhead,
  found: { sizes: readonly SizeInfo[] } | { size: SizeInfo | undefined } | undefined,
): PhotoOwner {
  if (!found) return unknownUser(principal, ref, key);
  requirePermission(mayAccessUserPhoto(principal, id, "read"));
  const { tenantId } = principal;
  // One literal each: on every photo GET, where a spread and added properties cost (BENCHMARKS.md).
  if ("sizes" in found) return { tenantId, id, kind: "user", prefetchedSizes: found.sizes };
  const edge = "edge" in read ? read.edge : undefined;
  return { tenantId, id, kind: "user", prefetched: { edge, size: found.size } };
}
