/**
 * The SQLite schema, as an ordered list of migration steps. Step N brings the database to
 * `PRAGMA user_version = N`. Steps are only ever appended; a released step never changes.
 */
import type Database from "better-sqlite3";

export interface MigrationStep {
  description: string;
  up(db: Database.Database): void;
}

const V1_SCHEMA = `
CREATE TABLE objects (
  tenant_id   TEXT NOT NULL,
  id          TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('user', 'group', 'contact', 'contactFolder')),
  owner_id    TEXT,
  parent_id   TEXT,
  unique_key  TEXT,
  data        TEXT NOT NULL CHECK (json_valid(data)),
  -- Insertion order, for "oldest first" listings; never changes after insert.
  created_seq INTEGER NOT NULL UNIQUE,
  PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE UNIQUE INDEX objects_unique_key ON objects (tenant_id, kind, unique_key)
  WHERE unique_key IS NOT NULL;
CREATE INDEX objects_by_kind ON objects (tenant_id, kind, created_seq);
CREATE INDEX objects_by_owner ON objects (tenant_id, owner_id, kind, created_seq);
CREATE INDEX objects_by_parent ON objects (tenant_id, parent_id, kind, created_seq);

-- Deleting an object deletes its photo through the foreign key (foreign_keys = ON).
CREATE TABLE photo_sizes (
  tenant_id TEXT NOT NULL,
  owner_id  TEXT NOT NULL,
  edge      INTEGER NOT NULL CHECK (edge > 0),
  etag      TEXT NOT NULL,
  bytes     BLOB NOT NULL,
  PRIMARY KEY (tenant_id, owner_id, edge),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES objects (tenant_id, id) ON DELETE CASCADE
) STRICT;
`;

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    description: "objects and photo sizes",
    up: (db) => {
      db.exec(V1_SCHEMA);
    },
  },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the database to `SCHEMA_VERSION`: every pending step in one IMMEDIATE transaction,
 * so a crash or a concurrent opener never sees a half-migrated schema. Refuses a database
 * written by a newer Portrait.
 */
export function migrate(db: Database.Database): void {
  if (schemaVersion(db) === SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `The database schema is version ${current}, newer than this Portrait supports ` +
          `(${SCHEMA_VERSION}); upgrade Portrait or use another database`,
      );
    }
    for (const step of MIGRATIONS.slice(current)) step.up(db);
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  apply.immediate();
}
