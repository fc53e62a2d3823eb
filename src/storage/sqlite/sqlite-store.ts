/**
 * The SQLite adapter of the storage port. better-sqlite3 is synchronous: every method does all
 * its work before it returns its promise, and every write is one IMMEDIATE transaction, so
 * concurrent calls from this process run one after another and other processes wait on the
 * busy timeout instead of failing half-way. A disk that is full, files that cannot be written
 * and a lock held past the busy timeout reject with `serviceNotAvailable` (see failures.ts).
 */
import type {
  DirectoryObject,
  ObjectFilter,
  ObjectKind,
  ObjectPage,
  PageRequest,
  PhotoCondition,
  PhotoWrite,
  SizeInfo,
  Store,
  StoredSize,
  WriteResult,
} from "../../photos/store.ts";
import { photoConditionHolds } from "../../photos/store.ts";
import { pageQuery, toObjectPage } from "../object-page.ts";
import { fromSizeInfoJoinRow, fromSizeListRows } from "../size-info-row.ts";
import { watchCommits } from "./commit-watch.ts";
import { commitWindow } from "./commit-window.ts";
import { openSqliteConnection } from "./connection.ts";
import { guarded } from "./failures.ts";
import { createReadCache } from "./read-cache.ts";
import { fromRow, prepareStatements, type Statements, toParams } from "./statements.ts";

const OK: WriteResult = { ok: true };

/** Answers kept in memory: object rows and photo metadata, under a kilobyte each. */
const READ_CACHE_ENTRIES = 20_000;

export function openSqliteStore(options: { path: string }): Store {
  const db = openSqliteConnection(options.path);
  let s: Statements;
  try {
    s = prepareStatements(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
  const commits = watchCommits(db.name, () => dataVersion.get() ?? 0);
  const window = commitWindow(commits);
  const cache = createReadCache({ maxEntries: READ_CACHE_ENTRIES, changed: window.changed });
  /**
   * A write: its changes are in the database afterwards (or it failed), so forget answers; it
   * is reported done once every other connection's next read sees it (commit-window.ts).
   */
  const written = async <T>(write: () => T): Promise<T> => {
    let result: T;
    try {
      result = guarded(write);
    } finally {
      cache.clear();
    }
    await window.settled();
    return result;
  };

  const sizeInfo = (
    tenantId: string,
    kind: ObjectKind,
    id: string,
    edge?: number,
  ): { size: SizeInfo | undefined } | undefined =>
    guarded(() =>
      // The tenant's length keeps keys apart however ids and tenant ids are spelled.
      cache.get(`size|${kind}|${edge ?? ""}|${tenantId.length}|${tenantId}${id}`, () => {
        const row =
          edge === undefined
            ? s.getLargestSizeInfo.get({ tenantId, id, kind })
            : s.getSizeInfo.get({ tenantId, id, kind, edge });
        if (row === undefined) return undefined;
        const size = fromSizeInfoJoinRow(row);
        return Object.freeze({ size: size && Object.freeze(size) });
      }),
    );

  const sizeList = (
    tenantId: string,
    kind: ObjectKind,
    id: string,
  ): { sizes: readonly SizeInfo[] } | undefined =>
    guarded(() =>
      cache.get(`list|${kind}|${tenantId.length}|${tenantId}${id}`, () => {
        const found = fromSizeListRows(s.getSizeList.all({ tenantId, id, kind }));
        for (const size of found?.sizes ?? []) Object.freeze(size);
        return found && Object.freeze({ sizes: Object.freeze(found.sizes) });
      }),
    );

  const insert = db.transaction((object: DirectoryObject): WriteResult => {
    const { tenantId, id, kind, uniqueKey } = object;
    if (s.objectExists.get({ tenantId, id }) !== undefined) {
      return { ok: false, reason: "duplicateId" };
    }
    if (uniqueKey !== null && s.idByKey.get({ tenantId, kind, uniqueKey }) !== undefined) {
      return { ok: false, reason: "duplicateKey" };
    }
    s.insertObject.run(toParams(object));
    return OK;
  });

  const update = db.transaction((object: DirectoryObject): WriteResult => {
    const { tenantId, id, kind, uniqueKey } = object;
    if (s.objectKindOf.get({ tenantId, id }) !== kind) return { ok: false, reason: "missing" };
    if (uniqueKey !== null) {
      const holder = s.idByKey.get({ tenantId, kind, uniqueKey });
      if (holder !== undefined && holder !== id) return { ok: false, reason: "duplicateKey" };
    }
    s.updateObject.run({ tenantId, id, uniqueKey, data: JSON.stringify(object.data) });
    return OK;
  });

  const remove = db.transaction(
    (tenantId: string, id: string): boolean => s.deleteObjectTree.run({ tenantId, id }).changes > 0,
  );

  /** Whether the photo as it stands in this transaction meets `condition`. */
  const holds = (tenantId: string, ownerId: string, condition: PhotoCondition | undefined) =>
    condition === undefined ||
    photoConditionHolds(condition, s.listSizes.all({ tenantId, ownerId }));

  const replace = db.transaction(
    (
      tenantId: string,
      ownerId: string,
      sizes: readonly StoredSize[],
      condition: PhotoCondition | undefined,
    ): PhotoWrite => {
      if (s.objectExists.get({ tenantId, id: ownerId }) === undefined) return "missing";
      if (!holds(tenantId, ownerId, condition)) return "unmatched";
      s.deleteSizes.run({ tenantId, ownerId });
      for (const { edge, etag, bytes } of sizes) {
        s.insertSize.run({ tenantId, ownerId, edge, etag, bytes });
      }
      return "written";
    },
  );

  const removePhoto = db.transaction(
    (tenantId: string, ownerId: string, condition: PhotoCondition | undefined): PhotoWrite => {
      if (!holds(tenantId, ownerId, condition)) return "unmatched";
      return s.deleteSizes.run({ tenantId, ownerId }).changes > 0 ? "written" : "missing";
    },
  );

  return {
    kind: "sqlite",

    async insertObject(object: DirectoryObject): Promise<WriteResult> {
      return written(() => insert.immediate(object));
    },

    async getObject(
      tenantId: string,
      kind: ObjectKind,
      id: string,
    ): Promise<DirectoryObject | undefined> {
      const row = guarded(() =>
        cache.get(`object|${kind}|${tenantId.length}|${tenantId}${id}`, () =>
          s.getObject.get({ tenantId, kind, id }),
        ),
      );
      // A fresh object from the kept row every time: callers may change what they get.
      return row && fromRow(row);
    },

    async findByUniqueKey(
      tenantId: string,
      kind: ObjectKind,
      uniqueKey: string,
    ): Promise<DirectoryObject | undefined> {
      const row = guarded(() =>
        cache.get(`key|${kind}|${tenantId.length}|${tenantId}${uniqueKey}`, () =>
          s.findByKey.get({ tenantId, kind, uniqueKey }),
        ),
      );
      return row && fromRow(row);
    },

    async listObjects(
      tenantId: string,
      kind: ObjectKind,
      filter: ObjectFilter = {},
    ): Promise<DirectoryObject[]> {
      const { ownerId, parentId } = filter;
      const rows = guarded(() =>
        ownerId === undefined
          ? parentId === undefined
            ? s.listAll.all({ tenantId, kind })
            : s.listByParent.all({ tenantId, kind, parentId })
          : parentId === undefined
            ? s.listByOwner.all({ tenantId, kind, ownerId })
            : s.listByOwnerAndParent.all({ tenantId, kind, ownerId, parentId }),
      );
      return rows.map(fromRow);
    },

    async pageObjects(tenantId: string, kind: ObjectKind, page: PageRequest): Promise<ObjectPage> {
      const rows = guarded(() => s.page.all({ tenantId, kind, ...pageQuery(page) }));
      return toObjectPage(rows, page, fromRow);
    },

    async updateObject(object: DirectoryObject): Promise<WriteResult> {
      return written(() => update.immediate(object));
    },

    async deleteObject(tenantId: string, id: string): Promise<boolean> {
      return written(() => remove.immediate(tenantId, id));
    },

    async replacePhoto(tenantId, ownerId, sizes, condition) {
      return written(() => replace.immediate(tenantId, ownerId, sizes, condition));
    },

    async deletePhoto(tenantId, ownerId, condition) {
      return written(() => removePhoto.immediate(tenantId, ownerId, condition));
    },

    async listPhotoSizes(tenantId: string, ownerId: string): Promise<SizeInfo[]> {
      return guarded(() =>
        cache.get(`sizes|${tenantId.length}|${tenantId}${ownerId}`, () =>
          Object.freeze(s.listSizes.all({ tenantId, ownerId }).map(Object.freeze)),
        ),
      ) as SizeInfo[];
    },

    async getPhotoSize(
      tenantId: string,
      ownerId: string,
      edge?: number,
    ): Promise<StoredSize | undefined> {
      return guarded(() =>
        edge === undefined
          ? s.getLargestSize.get({ tenantId, ownerId })
          : s.getSize.get({ tenantId, ownerId, edge }),
      );
    },

    async getPhotoSizeInfo(tenantId: string, kind: ObjectKind, ownerId: string, edge?: number) {
      return sizeInfo(tenantId, kind, ownerId, edge);
    },

    getPhotoSizeInfoSync: sizeInfo,

    async getPhotoSizeList(tenantId: string, kind: ObjectKind, ownerId: string) {
      return sizeList(tenantId, kind, ownerId);
    },

    getPhotoSizeListSync: sizeList,

    async ping(): Promise<void> {
      guarded(() => s.ping.get());
    },

    async close(): Promise<void> {
      if (!db.open) return;
      try {
        db.pragma("optimize");
      } catch {
        // Only a planner hint; failing to refresh statistics must not stop the close.
      }
      commits.close();
      db.close();
    },
  };
}
