/** Contacts and contact folders in a user's mailbox. */
import { randomUUID } from "node:crypto";
import { type Access, mayAccessContacts, requirePermission } from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";
import { GraphError } from "../errors.ts";
import type { DirectoryObject, Store } from "../photos/store.ts";
import type { View } from "./paging.ts";
import {
  CONTACT_PROPERTIES,
  FOLDER_PROPERTIES,
  isGuid,
  publicView,
  readProperties,
  requireStrings,
} from "./properties.ts";
import { findUser, resolveUser, resourceNotFound, type UserRef } from "./users.ts";

/** Where contacts live: a user's mailbox, optionally one contact folder in it. */
export interface MailboxRef {
  user: UserRef;
  folderId?: string | undefined;
}

export interface Mailbox {
  tenantId: string;
  userId: string;
  folder: DirectoryObject | undefined;
}

export function itemNotFound(): GraphError {
  return new GraphError("ErrorItemNotFound", "The specified object was not found in the store.");
}

/**
 * Resolves the mailbox (and folder) after checking that the caller may use contacts there.
 * Delegated callers are refused other users' mailboxes before anything about them is revealed.
 */
export async function resolveMailbox(
  store: Store,
  principal: Principal,
  ref: MailboxRef,
  access: Access,
): Promise<Mailbox> {
  if (principal.kind === "delegated") {
    const own = ref.user.me || (await isSignedInUser(store, principal, ref.user.key));
    requirePermission(own && mayAccessContacts(principal, principal.userId ?? "", access));
  } else {
    requirePermission(mayAccessContacts(principal, "", access));
  }
  // Callers allowed here may use every mailbox, so an unknown user is simply not found.
  const user = ref.user.me
    ? await resolveUser(store, principal, ref.user)
    : await findUser(store, principal.tenantId, ref.user.key);
  if (!user) throw resourceNotFound(ref.user.me ? "me" : ref.user.key);
  requirePermission(mayAccessContacts(principal, user.id, access));
  let folder: DirectoryObject | undefined;
  if (ref.folderId !== undefined) {
    folder = await findInMailbox(store, principal.tenantId, "contactFolder", user.id, ref.folderId);
    if (!folder) throw itemNotFound();
  }
  return { tenantId: principal.tenantId, userId: user.id, folder };
}

/** Whether a user key (id or userPrincipalName) names the signed-in user. */
async function isSignedInUser(store: Store, principal: Principal, key: string): Promise<boolean> {
  const lower = key.toLowerCase();
  if (lower === principal.userId) return true;
  if (isGuid(key) || principal.userId === undefined) return false;
  const self = await store.getObject(principal.tenantId, "user", principal.userId);
  return self?.uniqueKey === lower;
}

/** A contact of the mailbox (in the folder, when one is named). */
export async function findContact(
  store: Store,
  mailbox: Mailbox,
  contactId: string,
): Promise<DirectoryObject> {
  const contact = await findInMailbox(
    store,
    mailbox.tenantId,
    "contact",
    mailbox.userId,
    contactId,
  );
  if (!contact) throw itemNotFound();
  if (mailbox.folder && contact.parentId !== mailbox.folder.id) throw itemNotFound();
  return contact;
}

async function findInMailbox(
  store: Store,
  tenantId: string,
  kind: "contact" | "contactFolder",
  userId: string,
  id: string,
): Promise<DirectoryObject | undefined> {
  if (!isGuid(id)) return undefined;
  const object = await store.getObject(tenantId, kind, id.toLowerCase());
  return object?.ownerId === userId ? object : undefined;
}

export function createContactDirectory(store: Store) {
  const insert = async (
    mailbox: Mailbox,
    kind: "contact" | "contactFolder",
    data: Record<string, unknown>,
  ): Promise<View> => {
    const id = randomUUID();
    const parentId = mailbox.folder?.id ?? null;
    const stored =
      kind === "contactFolder" && parentId ? { ...data, parentFolderId: parentId } : data;
    const result = await store.insertObject({
      tenantId: mailbox.tenantId,
      id,
      kind,
      ownerId: mailbox.userId,
      parentId,
      uniqueKey: null,
      data: stored,
    });
    if (!result.ok) throw new GraphError("generalException", `Insert failed: ${result.reason}`);
    return publicView(id, stored);
  };

  return {
    async createContact(principal: Principal, ref: MailboxRef, body: unknown): Promise<View> {
      const mailbox = await resolveMailbox(store, principal, ref, "write");
      const props = readProperties(body, CONTACT_PROPERTIES, "microsoft.graph.contact");
      const data = mailbox.folder ? { ...props, parentFolderId: mailbox.folder.id } : props;
      return insert(mailbox, "contact", data);
    },

    async createFolder(principal: Principal, ref: MailboxRef, body: unknown): Promise<View> {
      const mailbox = await resolveMailbox(store, principal, ref, "write");
      const props = readProperties(body, FOLDER_PROPERTIES, "microsoft.graph.contactFolder");
      requireStrings(props, ["displayName"]);
      return insert(mailbox, "contactFolder", props);
    },

    async list(
      principal: Principal,
      ref: MailboxRef,
      kind: "contact" | "contactFolder",
    ): Promise<View[]> {
      const mailbox = await resolveMailbox(store, principal, ref, "read");
      // As in Graph, `{user}/contacts` lists the default folder, not every folder.
      const filter = { ownerId: mailbox.userId, parentId: mailbox.folder?.id ?? null };
      const objects = await store.listObjects(mailbox.tenantId, kind, filter);
      return objects.map((object) => publicView(object.id, object.data));
    },

    async get(
      principal: Principal,
      ref: MailboxRef,
      kind: "contact" | "contactFolder",
      id: string,
    ): Promise<View> {
      const mailbox = await resolveMailbox(store, principal, ref, "read");
      const object =
        kind === "contact"
          ? await findContact(store, mailbox, id)
          : await findInMailbox(store, mailbox.tenantId, kind, mailbox.userId, id);
      if (!object) throw itemNotFound();
      return publicView(object.id, object.data);
    },

    async remove(
      principal: Principal,
      ref: MailboxRef,
      kind: "contact" | "contactFolder",
      id: string,
    ): Promise<void> {
      const mailbox = await resolveMailbox(store, principal, ref, "write");
      const object =
        kind === "contact"
          ? await findContact(store, mailbox, id)
          : await findInMailbox(store, mailbox.tenantId, kind, mailbox.userId, id);
      if (!object || !(await store.deleteObject(mailbox.tenantId, object.id))) throw itemNotFound();
    },
  };
}

export type ContactDirectory = ReturnType<typeof createContactDirectory>;
