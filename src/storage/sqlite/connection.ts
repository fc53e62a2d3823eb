/** Opens a SQLite database with Portrait's settings and an up-to-date schema. */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.ts";

export const BUSY_TIMEOUT_MS = 5000;

/**
 * A connection in WAL mode with `synchronous = FULL` (a committed write survives a crash of the
 * process or the machine), foreign keys on and a busy timeout; creates the file and its parent
 * directory when missing. `":memory:"` gives a private in-memory database.
 */
export function openSqliteConnection(path: string): Database.Database {
  const memory = path === ":memory:";
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (!memory && mode !== "wal") {
      throw new Error(`SQLite at ${path} cannot use WAL mode (journal_mode is ${String(mode)})`);
    }
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
