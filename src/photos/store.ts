/**
 * The storage port: the one small interface the domain needs from a database.
 * Stores are dumb: they keep and return what they are given, atomically. They know no Graph
 * codes, no permissions and no image rules. Every adapter passes `test/storage/contract.ts`.
 *
 * Failures: a backend that cannot be reached (connection refused or lost, disk full, read-only
 * file) makes a method reject with `GraphError("serviceNotAvailable")` carrying `retryAfter`;
 * the write then did not happen. Any other rejection is a bug.
 */

export type ObjectKind = "user" | "group" | "contact" | "contactFolder";

/** A directory object: a user, group, contact or contact folder of one tenant. */
export interface DirectoryObject {
  tenantId: string;
  /** Lower-case GUID, unique within the tenant across all kinds. */
  id: string;
  kind: ObjectKind;
  /** The user whose mailbox holds a contact or contact folder; null for users and groups. */
  ownerId: string | null;
  /** The contact folder that holds a contact or folder; null when at the mailbox root. */
  parentId: string | null;
  /** Unique per tenant and kind when set (a user's lower-cased userPrincipalName). */
  uniqueKey: string | null;
  /** The Graph properties of the object, as returned to clients. */
  data: Record<string, unknown>;
}

/** Where a page of objects starts, and how many it holds at most. */
export interface PageRequest {
  /** A `next` from the page before; the first page when undefined. */
  after?: number;
  limit: number;
}

export interface ObjectPage {
  objects: DirectoryObject[];
  /** Each object's position in creation order: a page may also start after any of them. */
  positions: number[];
  /**
   * The position after this page's last object, when more objects follow. It is a position
   * in creation order, not an index: a page asked for later starts after that object even if
   * objects before it (or it) were deleted meanwhile.
   */
  next: number | undefined;
}

export interface ObjectFilter {
  ownerId?: string;
  parentId?: string | null;
}

/** One stored size of a photo. */
export interface StoredSize {
  edge: number;
  /** Strong validator of these bytes: derived from their content. */
  etag: string;
  bytes: Uint8Array;
}

/** What a store knows about one size without reading its bytes. */
export interface SizeInfo {
  edge: number;
  etag: string;
  length: number;
}

export type WriteResult =
  | { ok: true }
  | { ok: false; reason: "duplicateId" | "duplicateKey" | "missing" };

/**
 * What the current photo must be for a photo write to go ahead (`If-Match`): one of these
 * entity tags among its sizes, or any photo at all.
 */
export type PhotoCondition = { anyOf: readonly string[] } | { exists: true };

/** A photo write: done, or refused because the owner does not exist or the condition failed. */
export type PhotoWrite = "written" | "missing" | "unmatched";

/** Whether a photo whose sizes have these tags meets `condition` (none: always). */
export function photoConditionHolds(
  condition: PhotoCondition | undefined,
  current: readonly { etag: string }[],
): boolean {
  if (condition === undefined) return true;
  return "exists" in condition
    ? current.length > 0
    : current.some((size) => condition.anyOf.includes(size.etag));
}

export interface Store {
  /** Which backend this is, for logs and health output (`sqlite`, `postgres`). */
  readonly kind: string;

  /** Adds an object; `duplicateId` or `duplicateKey` when the id or unique key is taken. */
  insertObject(object: DirectoryObject): Promise<WriteResult>;
  getObject(tenantId: string, kind: ObjectKind, id: string): Promise<DirectoryObject | undefined>;
  findByUniqueKey(
    tenantId: string,
    kind: ObjectKind,
    uniqueKey: string,
  ): Promise<DirectoryObject | undefined>;
  /** Objects of a kind in a tenant, oldest first; `filter` narrows by owner and/or parent. */
  listObjects(
    tenantId: string,
    kind: ObjectKind,
    filter?: ObjectFilter,
  ): Promise<DirectoryObject[]>;
  /** One page of the objects of a kind in a tenant, oldest first (users and groups). */
  pageObjects(tenantId: string, kind: ObjectKind, page: PageRequest): Promise<ObjectPage>;
  /** Replaces `data` and `uniqueKey` of an existing object; `missing` when there is none. */
  updateObject(object: DirectoryObject): Promise<WriteResult>;
  /**
   * Deletes an object, every object it owns or holds (contacts and folders of a user, contacts
   * of a folder) and the photos of all of them, in one transaction. False when it did not exist.
   */
  deleteObject(tenantId: string, id: string): Promise<boolean>;

  /**
   * Replaces the whole photo of an object with these sizes in one transaction: afterwards
   * exactly these sizes exist, or (on failure) exactly the old ones. Nothing is written when
   * the object does not exist (`missing`) or, checked in the same transaction, so that no
   * concurrent write comes between, the photo does not meet `condition` (`unmatched`).
   */
  replacePhoto(
    tenantId: string,
    ownerId: string,
    sizes: StoredSize[],
    condition?: PhotoCondition,
  ): Promise<PhotoWrite>;
  /**
   * Removes every size of the photo: `missing` when there was none, `unmatched` (nothing
   * removed) when the photo does not meet `condition`, checked in the same transaction.
   */
  deletePhoto(tenantId: string, ownerId: string, condition?: PhotoCondition): Promise<PhotoWrite>;
  /** The sizes of a photo, smallest first; empty when there is no photo. */
  listPhotoSizes(tenantId: string, ownerId: string): Promise<SizeInfo[]>;
  /** One size of the photo; without `edge`, the largest, read in one step. */
  getPhotoSize(tenantId: string, ownerId: string, edge?: number): Promise<StoredSize | undefined>;
  /**
   * One read for a photo GET: whether the object of `kind` with this id exists and, if so, what
   * the store knows about one size of its photo without reading its bytes (the given edge, or
   * without `edge` the largest). Undefined when there is no such object; `size` undefined when
   * its photo has no such size.
   */
  getPhotoSizeInfo(
    tenantId: string,
    kind: ObjectKind,
    ownerId: string,
    edge?: number,
  ): Promise<{ size: SizeInfo | undefined } | undefined>;
  /**
   * One read for a photo listing: whether the object of `kind` with this id exists and, if so,
   * what the store knows about every size of its photo without reading their bytes, smallest
   * first (empty when it has no photo). Undefined when there is no such object.
   */
  getPhotoSizeList(
    tenantId: string,
    kind: ObjectKind,
    ownerId: string,
  ): Promise<{ sizes: readonly SizeInfo[] } | undefined>;
  /**
   * `getPhotoSizeInfo` without a promise, offered by stores whose reads never wait (SQLite):
   * the same answer and the same failures, thrown instead of rejected. A photo GET that can be
   * answered without a promise costs several microseconds less (BENCHMARKS.md).
   */
  getPhotoSizeInfoSync?(
    tenantId: string,
    kind: ObjectKind,
    ownerId: string,
    edge?: number,
  ): { size: SizeInfo | undefined } | undefined;
  /** `getPhotoSizeList` without a promise, offered where `getPhotoSizeInfoSync` is. */
  getPhotoSizeListSync?(
    tenantId: string,
    kind: ObjectKind,
    ownerId: string,
  ): { sizes: readonly SizeInfo[] } | undefined;

  /** Resolves when the backend answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
