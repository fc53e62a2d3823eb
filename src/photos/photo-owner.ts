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
import { resolveUser, resourceNotFound, type UserRef } from "../directory/users.ts";
import type { Store } from "./store.ts";

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
}

export async function resolvePhotoOwner(
  store: Store,
  principal: Principal,
  path: OwnerPath,
  access: Access,
): Promise<PhotoOwner> {
  const tenantId = principal.tenantId;
  switch (path.kind) {
    case "user": {
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
