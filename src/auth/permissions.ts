/**
 * Permission decisions of the Graph contract (section 5), as pure functions of the principal.
 * Each `may*` answers a yes/no; `requirePermission` turns a no into 403 `ErrorAccessDenied`.
 */
import { GraphError } from "../errors.ts";
import type { Principal } from "./principal.ts";

export type Access = "read" | "write";

const USER_READ_ANY_DELEGATED = [
  "User.ReadBasic.All",
  "User.Read.All",
  "User.ReadWrite.All",
  "ProfilePhoto.Read.All",
  "ProfilePhoto.ReadWrite.All",
];
const USER_READ_ANY_APP = [
  "User.Read.All",
  "User.ReadWrite.All",
  "ProfilePhoto.Read.All",
  "ProfilePhoto.ReadWrite.All",
];
const USER_READ_SELF = ["User.Read", "User.ReadWrite", ...USER_READ_ANY_DELEGATED];
const USER_WRITE_SELF = ["User.ReadWrite", "User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const USER_WRITE_ANY = ["User.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const GROUP_READ = [
  "Group.Read.All",
  "Group.ReadWrite.All",
  "ProfilePhoto.Read.All",
  "ProfilePhoto.ReadWrite.All",
];
const GROUP_OBJECT_READ = ["Group.Read.All", "Group.ReadWrite.All"];
const GROUP_WRITE = ["Group.ReadWrite.All", "ProfilePhoto.ReadWrite.All"];
const TEAM_READ = ["Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All"];
const TEAM_WRITE = ["TeamSettings.ReadWrite.All"];
const CONTACTS_READ = ["Contacts.Read", "Contacts.ReadWrite"];
const CONTACTS_WRITE = ["Contacts.ReadWrite"];

function holdsAny(principal: Principal, names: readonly string[]): boolean {
  return names.some((name) => principal.permissions.has(name));
}

/** Photo of a user (also `/me`). `targetUserId` is the resolved user's id. */
export function mayAccessUserPhoto(p: Principal, targetUserId: string, access: Access): boolean {
  const self = p.kind === "delegated" && p.userId === targetUserId;
  if (access === "read") {
    if (p.kind === "app") return holdsAny(p, USER_READ_ANY_APP);
    return holdsAny(p, self ? USER_READ_SELF : USER_READ_ANY_DELEGATED);
  }
  if (p.kind === "app") return holdsAny(p, USER_WRITE_ANY);
  if (self) return holdsAny(p, USER_WRITE_SELF);
  return holdsAny(p, USER_WRITE_ANY) && p.isAdmin;
}

/** Whether the caller may read users it is not (decides 404 versus 403 for unknown keys). */
export function mayReadAnyUser(p: Principal): boolean {
  return holdsAny(p, p.kind === "app" ? USER_READ_ANY_APP : USER_READ_ANY_DELEGATED);
}

/** Directory operations on users: create, update, delete (`POST/PATCH/DELETE /users`). */
export function mayManageUser(p: Principal, targetUserId: string | undefined): boolean {
  if (p.permissions.has("User.ReadWrite.All")) return true;
  return p.kind === "delegated" && p.userId === targetUserId && p.permissions.has("User.ReadWrite");
}

/** Reading a group's photo. */
export function mayReadGroup(p: Principal): boolean {
  return holdsAny(p, GROUP_READ);
}

/** Reading the group object itself (`GET /groups`): the photo permissions do not grant it. */
export function mayReadGroupObject(p: Principal): boolean {
  return holdsAny(p, GROUP_OBJECT_READ);
}

/** Writing a group's photo: delegated callers must also own the group or be an admin. */
export function mayWriteGroupPhoto(p: Principal, isOwner: boolean): boolean {
  if (!holdsAny(p, GROUP_WRITE)) return false;
  return p.kind === "app" || isOwner || p.isAdmin;
}

/** Creating or deleting groups. */
export function mayManageGroups(p: Principal): boolean {
  return p.permissions.has("Group.ReadWrite.All");
}

export function mayAccessTeamPhoto(p: Principal, access: Access): boolean {
  return holdsAny(p, access === "read" ? TEAM_READ : TEAM_WRITE);
}

/**
 * Contacts (and their photos and folders) in the mailbox of `mailboxUserId`: delegated callers
 * only in their own mailbox, applications in any.
 */
export function mayAccessContacts(p: Principal, mailboxUserId: string, access: Access): boolean {
  if (p.kind === "delegated" && p.userId !== mailboxUserId) return false;
  return holdsAny(p, access === "read" ? CONTACTS_READ : CONTACTS_WRITE);
}

/** Throws 403 `ErrorAccessDenied` unless `allowed`. */
export function requirePermission(allowed: boolean): void {
  if (!allowed) {
    throw new GraphError("ErrorAccessDenied", "Insufficient privileges to complete the operation.");
  }
}
