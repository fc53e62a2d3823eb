/** An offline check of a SQLite store file, for crash tests and operators. */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { BUSY_TIMEOUT_MS } from "./connection.ts";
import { SCHEMA_VERSION, schemaVersion } from "./migrations.ts";

interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
}

/**
 * Opens the file as the store would (recovering a hot WAL), runs `integrity_check` (b-trees,
 * indexes, NOT NULL and CHECK constraints) and `foreign_key_check`, and returns every problem
 * found, in words. Empty means the file is sound.
 */
export function sqliteIntegrityCheck(path: string): string[] {
  if (!existsSync(path)) return [`${path}: no such database file`];
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    return [`${path}: cannot open: ${describe(error)}`];
  }
  try {
    const problems: string[] = [];
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) {
      problems.push(`schema version ${version} is newer than ${SCHEMA_VERSION}`);
    }
    const checks = db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[];
    for (const { integrity_check: line } of checks) {
      if (line !== "ok") problems.push(line);
    }
    const orphans = db.pragma("foreign_key_check") as ForeignKeyViolation[];
    for (const { table, rowid, parent } of orphans) {
      problems.push(`${table} row ${rowid ?? "?"} refers to a missing ${parent} row`);
    }
    return problems;
  } catch (error) {
    return [`${path}: ${describe(error)}`];
  } finally {
    db.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
