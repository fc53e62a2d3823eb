/**
 * The connection pool of the PostgreSQL store. Every connection starts with Portrait's schema
 * on its `search_path` and the statement timeout, both sent as startup parameters, so no
 * statement ever runs before they apply. A client whose connection failed is destroyed, never
 * handed out again, and a connection that dies while idle or checked out is logged, not thrown.
 */
import pg from "pg";
import { isConnectionFailure } from "./failures.ts";

export interface PoolOptions {
  url: string;
  schema: string;
  poolSize: number;
  /** Server-side `statement_timeout`; 0 turns it off. */
  statementTimeoutMs: number;
  log: (message: string) => void;
}

/** How long to wait for a new connection (TCP, TLS and startup) before giving up. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Added to the statement timeout for the client-side guard against a silent network. */
const QUERY_TIMEOUT_SLACK_MS = 2000;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Refuses a schema name that would need quoting (the configuration only admits these). */
export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`PostgreSQL schema "${schema}" is not a lower-case SQL identifier`);
  }
  return schema;
}

export function createPool(options: PoolOptions): pg.Pool {
  const schema = checkSchemaName(options.schema);
  const timeout = options.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: "portrait",
    options: `-c search_path=${schema}`,
    ...(timeout > 0 && {
      statement_timeout: timeout,
      query_timeout: timeout + QUERY_TIMEOUT_SLACK_MS,
    }),
  });
  // An idle client whose server went away: the pool drops it; without this listener the
  // 'error' event would crash the process.
  pool.on("error", (error) => {
    options.log(`PostgreSQL connection lost while idle: ${error.message}`);
  });
  return pool;
}

/**
 * Runs `work` on one client of the pool. A connection failure, thrown or signalled by the
 * client's 'error' event, makes the release destroy the client instead of pooling it.
 */
export async function withClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // While checked out the pool does not listen for errors; a connection that dies between two
  // statements would otherwise emit an unhandled 'error'.
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on("error", onError);
  try {
    return await work(client);
  } catch (error) {
    if (isConnectionFailure(error)) broken ??= asError(error);
    throw error;
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}

/**
 * Runs `work` in one transaction. Anything thrown rolls it back; when the connection itself
 * failed the server rolls back on its own and the client is destroyed.
 */
export function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query("BEGIN");
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      if (!isConnectionFailure(error)) {
        await client.query("ROLLBACK");
      }
      throw error;
    }
    await client.query("COMMIT");
    return result;
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
