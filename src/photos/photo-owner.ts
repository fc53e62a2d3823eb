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
  const { id } = named;
  if ("sizes" in read) {
    const listed = await store.getPhotoSizeList(tenantId, "user", id);
    checkUserRead(principal, ref, named, listed);
    return { tenantId, id, kind: "user", prefetchedSizes: listed.sizes };
  }
  const { edge } = read;
  const found = await store.getPhotoSizeInfo(tenantId, "user", id, edge);
  checkUserRead(principal, ref, named, found);
  return { tenantId, id, kind: "user", prefetched: { edge, size: found.size } };
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
  const { id } = named;
  if ("sizes" in read) {
    const listed = store.getPhotoSizeListSync(tenantId, "user", id);
    checkUserRead(principal, ref, named, listed);
    return { tenantId, id, kind: "user", prefetchedSizes: listed.sizes };
  }
  const { edge } = read;
  const found = store.getPhotoSizeInfoSync(tenantId, "user", id, edge);
  checkUserRead(principal, ref, named, found);
  return { tenantId, id, kind: "user", prefetched: { edge, size: found.size } };
}

/** The user's key as named and its id, when the key is an id (a GUID); else undefined. */
function byId(principal: Principal, ref: UserRef): { key: string; id: string } | undefined {
  const key = userKey(principal, ref);
  return isGuid(key) ? { key, id: key.toLowerCase() } : undefined;
}

/** The decision of a read by id, from the store's answer for that user: throws unless allowed. */
function checkUserRead<T>(
  principal: Principal,
  ref: UserRef,
  { key, id }: { key: string; id: string },
  found: T | undefined,
): asserts found is T {
  if (!found) unknownUser(principal, ref, key);
  requirePermission(mayAccessUserPhoto(principal, id, "read"));
}
