/** Every SQL statement of the PostgreSQL store, and the mapping of its rows. */
import type {
  DirectoryObject,
  ObjectFilter,
  ObjectKind,
  SizeInfo,
  StoredSize,
} from "../../photos/store.ts";

export interface ObjectRow {
  tenant_id: string;
  id: string;
  kind: string;
  owner_id: string | null;
  parent_id: string | null;
  unique_key: string | null;
  /** `json` columns arrive parsed. */
  data: Record<string, unknown>;
}

export interface SizeRow {
  edge: number;
  etag: string;
  bytes: Buffer;
}

/** The constraints whose violation means "taken", by name (see migrations.ts). */
export const PRIMARY_KEY = "objects_pkey";
export const UNIQUE_KEY = "objects_unique_key";

const COLUMNS = "tenant_id, id, kind, owner_id, parent_id, unique_key, data";

/**
 * The listing for a filter, as SQL and parameters. A null parent is matched with `IS NULL`
 * (not `IS NOT DISTINCT FROM`, which no index serves).
 */
export function listQuery(
  tenantId: string,
  kind: ObjectKind,
  filter: ObjectFilter,
): [sql: string, params: unknown[]] {
  const params: unknown[] = [tenantId, kind];
  let where = "";
  if (filter.ownerId !== undefined) {
    params.push(filter.ownerId);
    where += ` AND owner_id = $${params.length}`;
  }
  if (filter.parentId === null) {
    where += " AND parent_id IS NULL";
  } else if (filter.parentId !== undefined) {
    params.push(filter.parentId);
    where += ` AND parent_id = $${params.length}`;
  }
  return [
    `SELECT ${COLUMNS} FROM objects WHERE tenant_id = $1 AND kind = $2${where} ORDER BY created_seq`,
    params,
  ];
}

export const SQL = {
  ping: "SELECT 1",
  /** $3: the position after which the page starts; $4: how many rows at most. */
  pageObjects: `SELECT ${COLUMNS}, created_seq AS seq FROM objects
    WHERE tenant_id = $1 AND kind = $2 AND created_seq > $3 ORDER BY created_seq LIMIT $4`,
  getObject: `SELECT ${COLUMNS} FROM objects WHERE tenant_id = $1 AND kind = $2 AND id = $3`,
  findByKey: `SELECT ${COLUMNS} FROM objects
    WHERE tenant_id = $1 AND kind = $2 AND unique_key = $3`,
  insertObject: `INSERT INTO objects (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  /** Only an object of the same kind is updated; zero rows means "missing". */
  updateObject: `UPDATE objects SET unique_key = $4, data = $5
    WHERE tenant_id = $1 AND id = $2 AND kind = $3`,
  /** Deletes the object and everything it owns or holds, at any depth; photos follow by FK. */
  deleteObjectTree: `WITH RECURSIVE doomed(id) AS (
      SELECT id FROM objects WHERE tenant_id = $1 AND id = $2
      UNION
      SELECT o.id FROM objects o JOIN doomed d
        ON o.tenant_id = $1 AND (o.owner_id = d.id OR o.parent_id = d.id)
    )
    DELETE FROM objects WHERE tenant_id = $1 AND id IN (SELECT id FROM doomed)`,
  /** Locks the owner of a photo, so that writes of one photo run one after another. */
  lockOwner: "SELECT 1 FROM objects WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
  deleteSizes: "DELETE FROM photo_sizes WHERE tenant_id = $1 AND owner_id = $2",
  /** All sizes in one statement: `$3`, `$4`, `$5` are parallel arrays of edges, tags, bytes. */
  insertSizes: `INSERT INTO photo_sizes (tenant_id, owner_id, edge, etag, bytes)
    SELECT $1, $2, s.edge, s.etag, s.bytes
    FROM unnest($3::integer[], $4::text[], $5::bytea[]) AS s(edge, etag, bytes)`,
  listSizes: `SELECT edge, etag, octet_length(bytes) AS length FROM photo_sizes
    WHERE tenant_id = $1 AND owner_id = $2 ORDER BY edge`,
  getSize: `SELECT edge, etag, bytes FROM photo_sizes
    WHERE tenant_id = $1 AND owner_id = $2 AND edge = $3`,
  getLargestSize: `SELECT edge, etag, bytes FROM photo_sizes
    WHERE tenant_id = $1 AND owner_id = $2 ORDER BY edge DESC LIMIT 1`,
  // An object and one size of its photo in one read; octet_length of a TOASTed bytea reads
  // its length, not its bytes. No row: no such object; a null edge: no such size.
  getSizeInfo: `SELECT s.edge, s.etag, octet_length(s.bytes) AS length
    FROM objects o LEFT JOIN photo_sizes s
      ON s.tenant_id = o.tenant_id AND s.owner_id = o.id AND s.edge = $4
    WHERE o.tenant_id = $1 AND o.kind = $2 AND o.id = $3`,
  // An object and every size of its photo: no row, no such object; a null edge, no photo.
  getSizeList: `SELECT s.edge, s.etag, octet_length(s.bytes) AS length
    FROM objects o LEFT JOIN photo_sizes s
      ON s.tenant_id = o.tenant_id AND s.owner_id = o.id
    WHERE o.tenant_id = $1 AND o.kind = $2 AND o.id = $3
    ORDER BY s.edge`,
  getLargestSizeInfo: `SELECT s.edge, s.etag, octet_length(s.bytes) AS length
    FROM objects o LEFT JOIN photo_sizes s
      ON s.tenant_id = o.tenant_id AND s.owner_id = o.id
     AND s.edge = (SELECT max(edge) FROM photo_sizes
                   WHERE tenant_id = o.tenant_id AND owner_id = o.id)
    WHERE o.tenant_id = $1 AND o.kind = $2 AND o.id = $3`,
} as const;

export function objectParams(object: DirectoryObject): unknown[] {
  return [
    object.tenantId,
    object.id,
    object.kind,
    object.ownerId,
    object.parentId,
    object.uniqueKey,
    JSON.stringify(object.data),
  ];
}

export function sizesParams(
  tenantId: string,
  ownerId: string,
  sizes: readonly StoredSize[],
): unknown[] {
  return [
    tenantId,
    ownerId,
    sizes.map((size) => size.edge),
    sizes.map((size) => size.etag),
    sizes.map((size) => Buffer.from(size.bytes.buffer, size.bytes.byteOffset, size.bytes.length)),
  ];
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
    data: row.data,
  };
}

export function fromSizeRow(row: SizeRow): StoredSize {
  return { edge: row.edge, etag: row.etag, bytes: row.bytes };
}

export function fromSizeInfoRow(row: SizeInfo): SizeInfo {
  return { edge: row.edge, etag: row.etag, length: row.length };
}
