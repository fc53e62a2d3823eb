/** Every SQL statement of the SQLite store, prepared once per connection. */
import type Database from "better-sqlite3";
import type { DirectoryObject, ObjectKind } from "../../photos/store.ts";
import type { SizeInfoJoinRow } from "../size-info-row.ts";

export interface ObjectRow {
  tenant_id: string;
  id: string;
  kind: string;
  owner_id: string | null;
  parent_id: string | null;
  unique_key: string | null;
  data: string;
}

export interface ObjectParams {
  tenantId: string;
  id: string;
  kind: string;
  ownerId: string | null;
  parentId: string | null;
  uniqueKey: string | null;
  data: string;
}

interface IdParams {
  tenantId: string;
  id: string;
}
interface KindParams {
  tenantId: string;
  kind: string;
}
interface KeyParams extends KindParams {
  uniqueKey: string;
}
interface OwnerParams {
  tenantId: string;
  ownerId: string;
}
interface SizeParams extends OwnerParams {
  edge: number;
}
interface SizeRow {
  edge: number;
  etag: string;
  bytes: Buffer;
}
interface SizeInfoRow {
  edge: number;
  etag: string;
  length: number;
}

const COLUMNS = "tenant_id, id, kind, owner_id, parent_id, unique_key, data";

export function prepareStatements(db: Database.Database) {
  const list = <P extends KindParams>(where: string) =>
    db.prepare<P, ObjectRow>(
      `SELECT ${COLUMNS} FROM objects WHERE tenant_id = :tenantId AND kind = :kind${where}
       ORDER BY created_seq`,
    );
  return {
    page: db.prepare<KindParams & { after: number; limit: number }, ObjectRow & { seq: number }>(
      `SELECT ${COLUMNS}, created_seq AS seq FROM objects
       WHERE tenant_id = :tenantId AND kind = :kind AND created_seq > :after
       ORDER BY created_seq LIMIT :limit`,
    ),
    ping: db.prepare<[], number>("SELECT 1").pluck(),
    objectExists: db
      .prepare<IdParams, number>("SELECT 1 FROM objects WHERE tenant_id = :tenantId AND id = :id")
      .pluck(),
    objectKindOf: db
      .prepare<IdParams, string>(
        "SELECT kind FROM objects WHERE tenant_id = :tenantId AND id = :id",
      )
      .pluck(),
    idByKey: db
      .prepare<KeyParams, string>(
        `SELECT id FROM objects
         WHERE tenant_id = :tenantId AND kind = :kind AND unique_key = :uniqueKey`,
      )
      .pluck(),
    getObject: db.prepare<IdParams & { kind: string }, ObjectRow>(
      `SELECT ${COLUMNS} FROM objects WHERE tenant_id = :tenantId AND id = :id AND kind = :kind`,
    ),
    findByKey: db.prepare<KeyParams, ObjectRow>(
      `SELECT ${COLUMNS} FROM objects
       WHERE tenant_id = :tenantId AND kind = :kind AND unique_key = :uniqueKey`,
    ),
    listAll: list<KindParams>(""),
    listByOwner: list<KindParams & { ownerId: string }>(" AND owner_id = :ownerId"),
    listByParent: list<KindParams & { parentId: string | null }>(" AND parent_id IS :parentId"),
    listByOwnerAndParent: list<KindParams & { ownerId: string; parentId: string | null }>(
      " AND owner_id = :ownerId AND parent_id IS :parentId",
    ),
    insertObject: db.prepare<ObjectParams>(
      `INSERT INTO objects (${COLUMNS}, created_seq)
       VALUES (:tenantId, :id, :kind, :ownerId, :parentId, :uniqueKey, :data,
               (SELECT coalesce(max(created_seq), 0) + 1 FROM objects))`,
    ),
    updateObject: db.prepare<IdParams & { uniqueKey: string | null; data: string }>(
      `UPDATE objects SET unique_key = :uniqueKey, data = :data
       WHERE tenant_id = :tenantId AND id = :id`,
    ),
    /** Deletes the object and everything it owns or holds, at any depth; photos follow by FK. */
    deleteObjectTree: db.prepare<IdParams>(
      `WITH RECURSIVE doomed(id) AS (
         SELECT id FROM objects WHERE tenant_id = :tenantId AND id = :id
         UNION
         SELECT o.id FROM objects o JOIN doomed d ON o.tenant_id = :tenantId AND o.owner_id = d.id
         UNION
         SELECT o.id FROM objects o JOIN doomed d ON o.tenant_id = :tenantId AND o.parent_id = d.id
       )
       DELETE FROM objects WHERE tenant_id = :tenantId AND id IN (SELECT id FROM doomed)`,
    ),
    insertSize: db.prepare<SizeParams & { etag: string; bytes: Uint8Array }>(
      `INSERT INTO photo_sizes (tenant_id, owner_id, edge, etag, bytes)
       VALUES (:tenantId, :ownerId, :edge, :etag, :bytes)`,
    ),
    deleteSizes: db.prepare<OwnerParams>(
      "DELETE FROM photo_sizes WHERE tenant_id = :tenantId AND owner_id = :ownerId",
    ),
    listSizes: db.prepare<OwnerParams, SizeInfoRow>(
      `SELECT edge, etag, length(bytes) AS length FROM photo_sizes
       WHERE tenant_id = :tenantId AND owner_id = :ownerId ORDER BY edge`,
    ),
    getSize: db.prepare<SizeParams, SizeRow>(
      `SELECT edge, etag, bytes FROM photo_sizes
       WHERE tenant_id = :tenantId AND owner_id = :ownerId AND edge = :edge`,
    ),
    getLargestSize: db.prepare<OwnerParams, SizeRow>(
      `SELECT edge, etag, bytes FROM photo_sizes
       WHERE tenant_id = :tenantId AND owner_id = :ownerId ORDER BY edge DESC LIMIT 1`,
    ),
    // An object and one size of its photo in one read; length(bytes) comes from the row
    // header, the blob is not read. No row: no such object; a null edge: no such size.
    getSizeInfo: db.prepare<IdParams & { kind: string; edge: number }, SizeInfoJoinRow>(
      `SELECT s.edge AS edge, s.etag AS etag, length(s.bytes) AS length
       FROM objects o LEFT JOIN photo_sizes s
         ON s.tenant_id = o.tenant_id AND s.owner_id = o.id AND s.edge = :edge
       WHERE o.tenant_id = :tenantId AND o.id = :id AND o.kind = :kind`,
    ),
    // An object and every size of its photo: no row, no such object; one row with a null
    // edge, no photo.
    getSizeList: db.prepare<IdParams & { kind: string }, SizeInfoJoinRow>(
      `SELECT s.edge AS edge, s.etag AS etag, length(s.bytes) AS length
       FROM objects o LEFT JOIN photo_sizes s
         ON s.tenant_id = o.tenant_id AND s.owner_id = o.id
       WHERE o.tenant_id = :tenantId AND o.id = :id AND o.kind = :kind
       ORDER BY s.edge`,
    ),
    getLargestSizeInfo: db.prepare<IdParams & { kind: string }, SizeInfoJoinRow>(
      `SELECT s.edge AS edge, s.etag AS etag, length(s.bytes) AS length
       FROM objects o LEFT JOIN photo_sizes s
         ON s.tenant_id = o.tenant_id AND s.owner_id = o.id
        AND s.edge = (SELECT max(edge) FROM photo_sizes
                      WHERE tenant_id = o.tenant_id AND owner_id = o.id)
       WHERE o.tenant_id = :tenantId AND o.id = :id AND o.kind = :kind`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

export function toParams(object: DirectoryObject): ObjectParams {
  return {
    tenantId: object.tenantId,
    id: object.id,
    kind: object.kind,
    ownerId: object.ownerId,
    parentId: object.parentId,
    uniqueKey: object.uniqueKey,
    data: JSON.stringify(object.data),
  };
}

export function fromRow(row: ObjectRow): DirectoryObject {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    // The CHECK constraint on `kind` admits only ObjectKind values.
    kind: row.kind as ObjectKind,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    uniqueKey: row.unique_key,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
