/**
 * The PostgreSQL the tests use: `PORTRAIT_TEST_DATABASE_URL`, or the local default. Every test
 * run works in schemas of its own (random names), dropped at the end, so runs never meet.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_DATABASE_URL =
  process.env.PORTRAIT_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/** A schema name no other run uses: `portrait_test_<random hex>`. */
export function freshSchemaName(prefix = "portrait_test"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Runs `work` on a connection of its own (not a store's), closed afterwards. */
export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function dropSchema(schema: string): Promise<void> {
  return withAdminClient(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/**
 * The test database URL with an `application_name` of its own, so that the connections of one
 * store (or one service) can be found and terminated without touching anyone else's.
 */
export function urlTaggedWith(applicationName: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("application_name", applicationName);
  return url.toString();
}

/** Terminates every backend opened with this `application_name`; returns how many. */
export function terminateBackends(applicationName: string): Promise<number> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`,
      [applicationName],
    );
    return rows.filter((row) => row.ok).length;
  });
}
