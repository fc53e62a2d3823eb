/**
 * The PostgreSQL adapter of the storage port, for several Portrait processes sharing one
 * database. Reads are single statements (one consistent snapshot each); every photo write
 * locks the owner's row first, so writes of one photo from any process run one after another
 * and each leaves one complete set of sizes. A database that is away makes calls reject with
 * `serviceNotAvailable`; the pool reconnects on its own when it is back.
 */
import type pg from "pg";
import type {
  DirectoryObject,
  ObjectFilter,
  ObjectKind,
  PageRequest,
  PhotoCondition,
  PhotoWrite,
  SizeInfo,
  Store,
  WriteResult,
} from "../../photos/store.ts";
import { photoConditionHolds } from "../../photos/store.ts";
import { pageQuery, toObjectPage } from "../object-page.ts";
import { fromSizeInfoJoinRow, fromSizeListRows, type SizeInfoJoinRow } from "../size-info-row.ts";
import { describeTarget, withStartupRetries } from "./connect.ts";
import { isConnectionFailure, toStoreFailure, violatedUniqueConstraint } from "./failures.ts";
import { migrate } from "./migrations.ts";
import { createPool, inTransaction, withClient } from "./pool.ts";
import {
  fromRow,
  fromSizeInfoRow,
  fromSizeRow,
  listQuery,
  type ObjectRow,
  objectParams,
  PRIMARY_KEY,
  type SizeRow,
  SQL,
  sizesParams,
} from "./queries.ts";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq URL parameters allowed). */
  url: string;
  /** Schema holding the tables; created when missing. */
  schema: string;
  poolSize: number;
  /** Server-side statement timeout; 0 turns it off. */
  statementTimeoutMs: number;
  /** Connection attempts after the first one at startup. */
  connectRetries: number;
  /** Where startup retries and lost idle connections are reported. */
  log?: (message: string) => void;
}

const OK: WriteResult = { ok: true };

/** Whether the photo, as this transaction sees it, meets `condition`. */
async function holds(
  client: pg.PoolClient,
  tenantId: string,
  ownerId: string,
  condition: PhotoCondition | undefined,
): Promise<boolean> {
  if (condition === undefined) return true;
  const sizes = await client.query<SizeInfo>(SQL.listSizes, [tenantId, ownerId]);
  return photoConditionHolds(condition, sizes.rows);
}

/** Connects (with retries), migrates the schema, and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const log = options.log ?? (() => {});
  const pool = createPool({ ...options, log });
  try {
    await withStartupRetries(() => withClient(pool, (client) => migrate(client, options.schema)), {
      retries: options.connectRetries,
      log,
      target: describeTarget(options.url),
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return createPostgresStore(pool);
}

function createPostgresStore(pool: pg.Pool): Store {
  let closing: Promise<void> | undefined;

  /** Maps failures to the port's; a closed store is a programming error, said plainly. */
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closing) throw new Error("The PostgreSQL store is closed");
    try {
      return await work();
    } catch (error) {
      throw toStoreFailure(error);
    }
  };

  /**
   * A read, tried once more on a fresh connection when a pooled one turned out to be dead.
   * PostgreSQL's text cannot hold NUL, so no row has a key with one: such a key finds nothing,
   * as in SQLite, instead of failing the query.
   */
  const read = <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    run(async () => {
      if (params.some((param) => typeof param === "string" && param.includes("\u0000"))) {
        return [] as R[];
      }
      const once = () => withClient(pool, (client) => client.query<R>(sql, params));
      try {
        return (await once()).rows;
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        return (await once()).rows;
      }
    });

  const write = <T>(work: (client: pg.PoolClient) => Promise<T>) =>
    run(() => inTransaction(pool, work));

  return {
    kind: "postgres",

    insertObject: (object: DirectoryObject): Promise<WriteResult> =>
      run(async () => {
        try {
          await withClient(pool, (client) => client.query(SQL.insertObject, objectParams(object)));
          return OK;
        } catch (error) {
          const constraint = violatedUniqueConstraint(error);
          if (constraint === undefined) throw error;
          return { ok: false, reason: constraint === PRIMARY_KEY ? "duplicateId" : "duplicateKey" };
        }
      }),

    async getObject(tenantId: string, kind: ObjectKind, id: string) {
      const [row] = await read<ObjectRow>(SQL.getObject, [tenantId, kind, id]);
      return row && fromRow(row);
    },

    async findByUniqueKey(tenantId: string, kind: ObjectKind, uniqueKey: string) {
      const [row] = await read<ObjectRow>(SQL.findByKey, [tenantId, kind, uniqueKey]);
      return row && fromRow(row);
    },

    async listObjects(tenantId: string, kind: ObjectKind, filter: ObjectFilter = {}) {
      const [sql, params] = listQuery(tenantId, kind, filter);
      return (await read<ObjectRow>(sql, params)).map(fromRow);
    },

    async pageObjects(tenantId: string, kind: ObjectKind, page: PageRequest) {
      const { after, limit } = pageQuery(page);
      const rows = await read<ObjectRow & { seq: string }>(SQL.pageObjects, [
        tenantId,
        kind,
        after,
        limit,
      ]);
      return toObjectPage(rows, page, fromRow);
    },

    updateObject: (object: DirectoryObject): Promise<WriteResult> =>
      run(async () => {
        const { tenantId, id, kind, uniqueKey } = object;
        try {
          const result = await withClient(pool, (client) =>
            client.query(SQL.updateObject, [
              tenantId,
              id,
              kind,
              uniqueKey,
              JSON.stringify(object.data),
            ]),
          );
          return result.rowCount === 0 ? { ok: false, reason: "missing" } : OK;
        } catch (error) {
          if (violatedUniqueConstraint(error) === undefined) throw error;
          return { ok: false, reason: "duplicateKey" };
        }
      }),

    deleteObject: (tenantId: string, id: string): Promise<boolean> =>
      write(async (client) => {
        const result = await client.query(SQL.deleteObjectTree, [tenantId, id]);
        return (result.rowCount ?? 0) > 0;
      }),

    // The owner's row, locked first, orders concurrent photo writes of one owner, so that a
    // condition is checked against the photo as the previous write left it.
    replacePhoto: (tenantId, ownerId, sizes, condition) =>
      write(async (client): Promise<PhotoWrite> => {
        const owner = await client.query(SQL.lockOwner, [tenantId, ownerId]);
        if (owner.rowCount === 0) return "missing";
        if (!(await holds(client, tenantId, ownerId, condition))) return "unmatched";
        await client.query(SQL.deleteSizes, [tenantId, ownerId]);
        if (sizes.length > 0) {
          await client.query(SQL.insertSizes, sizesParams(tenantId, ownerId, sizes));
        }
        return "written";
      }),

    deletePhoto: (tenantId, ownerId, condition) =>
      write(async (client): Promise<PhotoWrite> => {
        const owner = await client.query(SQL.lockOwner, [tenantId, ownerId]);
        if (owner.rowCount === 0) return "missing";
        if (!(await holds(client, tenantId, ownerId, condition))) return "unmatched";
        const result = await client.query(SQL.deleteSizes, [tenantId, ownerId]);
        return (result.rowCount ?? 0) > 0 ? "written" : "missing";
      }),

    async listPhotoSizes(tenantId: string, ownerId: string): Promise<SizeInfo[]> {
      return (await read<SizeInfo>(SQL.listSizes, [tenantId, ownerId])).map(fromSizeInfoRow);
    },

    async getPhotoSize(tenantId: string, ownerId: string, edge?: number) {
      const [row] =
        edge === undefined
          ? await read<SizeRow>(SQL.getLargestSize, [tenantId, ownerId])
          : await read<SizeRow>(SQL.getSize, [tenantId, ownerId, edge]);
      return row && fromSizeRow(row);
    },

    async getPhotoSizeInfo(tenantId: string, kind: ObjectKind, ownerId: string, edge?: number) {
      const [row] =
        edge === undefined
          ? await read<SizeInfoJoinRow>(SQL.getLargestSizeInfo, [tenantId, kind, ownerId])
          : await read<SizeInfoJoinRow>(SQL.getSizeInfo, [tenantId, kind, ownerId, edge]);
      return row && { size: fromSizeInfoJoinRow(row) };
    },

    async getPhotoSizeList(tenantId: string, kind: ObjectKind, ownerId: string) {
      return fromSizeListRows(
        await read<SizeInfoJoinRow>(SQL.getSizeList, [tenantId, kind, ownerId]),
      );
    },

    async ping(): Promise<void> {
      await read(SQL.ping);
    },

    close(): Promise<void> {
      closing ??= pool.end();
      return closing;
    },
  };
}
