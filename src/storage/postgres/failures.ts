/**
 * How PostgreSQL failures map onto the storage port: a database that cannot be reached, that
 * is shutting down or that did not answer in time makes a method reject with
 * `serviceNotAvailable`; a unique violation is read as a duplicate, never thrown.
 */
import { GraphError } from "../../errors.ts";

/** Seconds a client is asked to wait before retrying while the database is away. */
export const RETRY_AFTER_SECONDS = 5;

/** Socket-level error codes of Node that mean "no usable connection to the server". */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that is going away or cannot take the connection:
 * class 08 (connection exception) is matched separately.
 */
const SERVER_CODES = new Set([
  "57P01", // admin_shutdown (pg_terminate_backend, smart/fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "57P05", // idle_session_timeout
  "53300", // too_many_connections
  "25P03", // idle_in_transaction_session_timeout
]);

/** SQLSTATEs of a statement that did not run to the end but may succeed when retried. */
const TRANSIENT_CODES = new Set([
  "57014", // query_canceled: statement_timeout
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "53100", // disk_full
  "53200", // out_of_memory
]);

/** Messages of the `pg` driver and pool for a connection that is gone or never came. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Query read timeout$/,
  /Client has encountered a connection error and is not queryable/,
  /^Connection closed$/,
];

function field(error: unknown, name: "code" | "constraint"): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** True when the connection (not the statement) failed: the client must not be reused. */
export function isConnectionFailure(error: unknown): boolean {
  const code = field(error, "code");
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith("08")) return true;
  }
  const message = error instanceof Error ? error.message : "";
  return DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when the database is away or too busy: the call may succeed later. */
export function isUnavailable(error: unknown): boolean {
  const code = field(error, "code");
  return isConnectionFailure(error) || (code !== undefined && TRANSIENT_CODES.has(code));
}

/** The constraint a unique violation (SQLSTATE 23505) broke, or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (field(error, "code") !== "23505") return undefined;
  return field(error, "constraint") ?? "";
}

/** The port's error for an unavailable database; anything else is returned unchanged. */
export function toStoreFailure(error: unknown): unknown {
  if (error instanceof GraphError || !isUnavailable(error)) return error;
  const message = isConnectionFailure(error)
    ? "The database is not reachable."
    : "The database did not complete the request in time.";
  return new GraphError("serviceNotAvailable", message, {
    retryAfter: RETRY_AFTER_SECONDS,
    cause: error,
  });
}
