/**
 * How SQLite failures map onto the storage port: a disk that is full, files that cannot be
 * written or opened, and a database still locked by another process after the busy timeout
 * make a method reject with `serviceNotAvailable`. SQLite rolls the transaction back in each
 * case, so the write did not happen. Anything else is passed on unchanged (a bug).
 */
import { GraphError } from "../../errors.ts";

/** Seconds a client is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 5;

/** Primary result codes (extended codes start with them, e.g. SQLITE_IOERR_WRITE). */
const MESSAGES: Readonly<Record<string, string>> = {
  SQLITE_FULL: "The database disk is full.",
  SQLITE_READONLY: "The database cannot be written.",
  SQLITE_IOERR: "The database file cannot be read or written.",
  SQLITE_CANTOPEN: "The database file cannot be opened.",
  SQLITE_BUSY: "The database is busy.",
};

/** The port's message for an error code of better-sqlite3, or undefined when it is not one. */
export function unavailableMessage(code: string): string | undefined {
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0];
  return primary === undefined ? undefined : MESSAGES[primary];
}

/** The port's error for an unavailable database; anything else is returned unchanged. */
export function toStoreFailure(error: unknown): unknown {
  if (typeof error !== "object" || error === null || error instanceof GraphError) return error;
  const code = (error as { code?: unknown }).code;
  const message = typeof code === "string" ? unavailableMessage(code) : undefined;
  if (message === undefined) return error;
  return new GraphError("serviceNotAvailable", message, {
    retryAfter: RETRY_AFTER_SECONDS,
    cause: error,
  });
}

/** Runs one synchronous store operation, mapping its failure to the port's. */
export function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toStoreFailure(error);
  }
}
