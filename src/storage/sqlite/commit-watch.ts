/**
 * Tells whether another connection may have committed to a SQLite database since the last look,
 * with one `pread` of a few microseconds and without a transaction.
 *
 * In WAL mode every connection shares the wal-index (`<db>-shm`), whose header SQLite updates
 * before a commit returns: its first 48 bytes hold a counter incremented by every transaction
 * and the last valid frame of the WAL (https://www.sqlite.org/walformat.html, "The WAL-Index
 * Header"). Reading them with one `pread`, without any lock, can catch a header half written;
 * that only ever reads as a change, which costs a cache refill, never a stale answer.
 *
 * The file cannot go away while the caller's own connection is open (SQLite removes it only when
 * the last connection closes). Where there is no such file (an in-memory database, a database
 * opened immutable), or it cannot be read, SQLite's `PRAGMA data_version` is asked instead: as
 * exact, but it runs a read transaction each time.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { isAbsolute } from "node:path";

const HEADER_BYTES = 48;

export interface CommitWatch {
  /** True when the database may have changed through another connection since the last call. */
  changed(): boolean;
  close(): void;
}

/** `dbFile`: the database's absolute path; anything else (`:memory:`, a URI) uses data_version. */
export function watchCommits(dbFile: string, dataVersion: () => number): CommitWatch {
  const fd = isAbsolute(dbFile) ? openShm(`${dbFile}-shm`) : undefined;
  if (fd === undefined) return watchDataVersion(dataVersion);
  const seen = Buffer.alloc(HEADER_BYTES);
  const now = Buffer.alloc(HEADER_BYTES);
  let first = true;
  return {
    changed() {
      let read: number;
      try {
        read = readSync(fd, now, 0, HEADER_BYTES, 0);
      } catch {
        return true;
      }
      if (read === HEADER_BYTES && !first && now.equals(seen)) return false;
      now.copy(seen);
      first = false;
      return true;
    },
    close() {
      closeSync(fd);
    },
  };
}

function watchDataVersion(dataVersion: () => number): CommitWatch {
  let seen = Number.NaN;
  return {
    changed() {
      const now = dataVersion();
      if (now === seen) return false;
      seen = now;
      return true;
    },
    close() {},
  };
}

function openShm(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch {
    return undefined;
  }
}
