/**
 * Opens a SQLite database with Portrait's settings and an up-to-date schema; when its directory
 * or file is read-only, opens the existing database read-only instead (see `openReadOnly`).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./migrations.ts";

export const BUSY_TIMEOUT_MS = 5000;

/**
 * SQLite's page cache per connection, KiB (SQLite's default is 2000). A photo GET reads about
 * four pages (the owner's index entry and row, the size's index entry and row), so 2 MB holds
 * those of only a few hundred photos: with many photos stored most GETs then read their pages
 * through the file system. 32 MiB holds them for about 2,000 photos in use at once, however
 * many are stored (bench/lookup.ts, 1,000 photos in use: the owner and one size's metadata in
 * 23 to 34 µs from 1,000 to 100,000 photos stored with 2 MB; 13 to 17 µs with 32 MiB). The
 * store's read cache answers most GETs before SQLite is asked (read-cache.ts).
 */
const CACHE_KIB = 32 * 1024;

// better-sqlite3 reads `file:` URIs (the read-only open needs `immutable=1`) only when
// SQLITE_USE_URI=1 is set as its native addon loads, at the first `new Database`: it is a
// process-wide SQLite setting. Setting it here, before any connection, changes nothing else:
// every path opened below is absolute, so none starts with "file:". An explicit
// SQLITE_USE_URI=0 is kept; the read-only open then fails with a clear error.
process.env.SQLITE_USE_URI ??= "1";

export interface SqliteConnectionOptions {
  /** Told when the database is opened read-only. Default: a process warning (on stderr). */
  log?: (message: string) => void;
}

/** Failures of a read-write open that a read-only file or directory causes. */
const READ_ONLY_CODES = /^(SQLITE_CANTOPEN|SQLITE_READONLY|EROFS|EACCES|EPERM)/;

/**
 * A connection in WAL mode with `synchronous = FULL` (a committed write survives a crash of the
 * process or the machine), foreign keys on and a busy timeout; creates the file and its parent
 * directory when missing. `":memory:"` gives a private in-memory database.
 *
 * When that fails because the directory or the file is read-only, an existing database whose
 * schema is current is opened read-only: reads are served, and every write fails with
 * SQLITE_READONLY, which the store turns into `serviceNotAvailable` with Retry-After
 * (failures.ts). `ping()` still succeeds, so /readyz reports the service ready: it can serve
 * what is stored, which is what readiness is for. A missing database or one that needs a
 * migration cannot be created or migrated there, so the open fails, naming what is read-only.
 */
export function openSqliteConnection(
  path: string,
  options: SqliteConnectionOptions = {},
): Database.Database {
  if (path === ":memory:") return openReadWrite(path, true);
  const file = resolve(path);
  try {
    mkdirSync(dirname(file), { recursive: true });
    return openReadWrite(file, false);
  } catch (error) {
    if (!causedByReadOnly(error, file)) throw error;
    return openReadOnly(file, error, options.log ?? warn);
  }
}

function openReadWrite(path: string, memory: boolean): Database.Database {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    const mode = enableWal(db);
    if (!memory && mode !== "wal") {
      throw new Error(`SQLite at ${path} cannot use WAL mode (journal_mode is ${String(mode)})`);
    }
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma(`cache_size = -${CACHE_KIB}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** What `Atomics.wait` sleeps on while `enableWal` waits for the file. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * `PRAGMA journal_mode = WAL`, retried for up to the busy timeout. Turning a new database to WAL
 * needs it to itself, and when another connection opens the same new file at that moment (two
 * workers, or `portrait seed`, starting on a fresh DATA_DIR) SQLite answers SQLITE_BUSY at once,
 * without waiting in its busy handler.
 */
function enableWal(db: Database.Database): unknown {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return db.pragma("journal_mode = WAL", { simple: true });
    } catch (error) {
      const busy = (error as { code?: unknown }).code === "SQLITE_BUSY";
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(PAUSE, 0, 0, 5);
    }
  }
}

/**
 * Opens `file` read-only without creating anything next to it. A database in WAL mode is
 * normally read through its `-wal` and `-shm` files, which a read-only directory cannot hold
 * after a clean shutdown (SQLite deletes them). `immutable=1` makes SQLite read the file as if
 * on read-only media: no locks, no `-wal`, no `-shm`. That is only right when no committed
 * change waits in a `-wal` (it would be ignored: checked first) and nothing writes the file
 * meanwhile, which a read-only directory ensures: a writer would need to create those files.
 * (After a crash both files are still there, and the read-write open already succeeds,
 * read-only in effect.)
 */
function openReadOnly(
  file: string,
  cause: unknown,
  log: (message: string) => void,
): Database.Database {
  const dir = dirname(file);
  const readOnly = !existsSync(dir)
    ? `the directory ${dir} cannot be created (read-only)`
    : writable(dir)
      ? `the file ${file} is read-only`
      : `the directory ${dir} is read-only`;
  const fail = (why: string) =>
    new Error(`Cannot open the SQLite database ${file}: ${readOnly} (${codeOf(cause)}), ${why}`, {
      cause,
    });
  if (!existsSync(file)) {
    throw fail("and there is no database to serve; start Portrait once with it writable");
  }
  if (sizeOf(`${file}-wal`) > 0) {
    throw fail(
      `and ${file}-wal holds changes that only a writable open can merge; ` +
        "start Portrait once with it writable",
    );
  }
  let db: Database.Database;
  try {
    db = new Database(`${pathToFileURL(file).href}?immutable=1`, {
      readonly: true,
      fileMustExist: true,
    });
  } catch (error) {
    throw fail(`and it cannot be opened read-only either: ${describe(error)}`);
  }
  try {
    const version = schemaVersion(db);
    if (version !== SCHEMA_VERSION) {
      throw fail(
        `and its schema is version ${version}, not ${SCHEMA_VERSION}: it needs a migration, ` +
          "which writes; start Portrait once with it writable",
      );
    }
  } catch (error) {
    db.close();
    throw error;
  }
  log(
    `SQLite database ${file} opened readOnly: ${readOnly}. Stored photos are ` +
      "served; every write answers 503 serviceNotAvailable until Portrait restarts writable.",
  );
  return db;
}

/** Whether `error` is a read-only failure and the directory or the file is indeed read-only. */
function causedByReadOnly(error: unknown, file: string): boolean {
  if (!READ_ONLY_CODES.test(codeOf(error))) return false;
  return !writable(dirname(file)) || (existsSync(file) && !writable(file));
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function warn(message: string): void {
  process.emitWarning(message, { code: "PORTRAIT_SQLITE_READ_ONLY" });
}
