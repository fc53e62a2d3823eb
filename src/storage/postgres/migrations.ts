/**
 * The PostgreSQL schema, as an ordered list of migration steps. Step N brings the schema to
 * version N, recorded as a row of `portrait_migrations`. Steps are only ever appended; a
 * released step never changes. Several processes may start at once: they take one advisory
 * lock per schema, so exactly one applies the pending steps and the others then find nothing
 * to do.
 */
import type pg from "pg";

export interface MigrationStep {
  description: string;
  sql: string;
}

const V1_SCHEMA = `
CREATE TABLE objects (
  tenant_id   text NOT NULL,
  id          text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('user', 'group', 'contact', 'contactFolder')),
  owner_id    text,
  parent_id   text,
  unique_key  text,
  -- json (not jsonb) keeps the properties exactly as written, key order included.
  data        json NOT NULL,
  -- Insertion order, for "oldest first" listings; never changes after insert.
  created_seq bigint GENERATED ALWAYS AS IDENTITY,
  CONSTRAINT objects_pkey PRIMARY KEY (tenant_id, id)
);

CREATE UNIQUE INDEX objects_unique_key ON objects (tenant_id, kind, unique_key)
  WHERE unique_key IS NOT NULL;
CREATE INDEX objects_by_kind ON objects (tenant_id, kind, created_seq);
CREATE INDEX objects_by_owner ON objects (tenant_id, owner_id, kind, created_seq);
CREATE INDEX objects_by_parent ON objects (tenant_id, parent_id, kind, created_seq);

-- Deleting an object deletes its photo through the foreign key.
CREATE TABLE photo_sizes (
  tenant_id text NOT NULL,
  owner_id  text NOT NULL,
  edge      integer NOT NULL CHECK (edge > 0),
  etag      text NOT NULL,
  bytes     bytea NOT NULL,
  PRIMARY KEY (tenant_id, owner_id, edge),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES objects (tenant_id, id) ON DELETE CASCADE
);
`;

export const MIGRATIONS: readonly MigrationStep[] = [
  { description: "objects and photo sizes", sql: V1_SCHEMA },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A migration may wait for another process's migration and rebuild indexes: be generous. */
const MIGRATION_TIMEOUT = "300s";

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS portrait_migrations (
  version     integer PRIMARY KEY,
  description text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Creates the schema when missing and brings it to `SCHEMA_VERSION`, all in one transaction
 * under a transaction-level advisory lock keyed by the schema name. Refuses a schema written by
 * a newer Portrait. Returns the steps it applied (empty when the schema was current).
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<MigrationStep[]> {
  const quoted = `"${schema}"`;
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL statement_timeout = '${MIGRATION_TIMEOUT}'`);
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `portrait.migrate.${schema}`,
    ]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database
    // even when the schema exists.
    const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(CREATE_LEDGER);
    const { rows } = await client.query<{ version: number | null }>(
      "SELECT max(version) AS version FROM portrait_migrations",
    );
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `The database schema "${schema}" is version ${current}, newer than this Portrait ` +
          `supports (${SCHEMA_VERSION}); upgrade Portrait or use another schema`,
      );
    }
    const pending = MIGRATIONS.slice(current);
    for (const [index, step] of pending.entries()) {
      await client.query(step.sql);
      await client.query("INSERT INTO portrait_migrations (version, description) VALUES ($1, $2)", [
        current + index + 1,
        step.description,
      ]);
    }
    await client.query("COMMIT");
    return pending;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {
      // The connection is gone; the server rolls back on its own.
    });
    throw error;
  }
}

/** The version recorded in the schema, 0 when it has none. For tests and operators. */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    "SELECT max(version) AS version FROM portrait_migrations",
  );
  return rows[0]?.version ?? 0;
}
