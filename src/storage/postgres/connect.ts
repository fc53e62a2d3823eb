/**
 * Startup against a database that may not be up yet (containers starting together): try, and
 * while the failure is a connection failure, wait with a capped backoff and try again, saying
 * so each time; after the last attempt, fail with a message naming the server and the cause.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isConnectionFailure } from "./failures.ts";

export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  /** Where to say that an attempt failed. */
  log: (message: string) => void;
  /** The server, for messages (without credentials). */
  target: string;
}

/** Waits before attempt `n + 1`: 0.5 s, 1 s, 2 s, 4 s, then 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 5000);
}

export async function withStartupRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const total = options.retries + 1;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const reason = describe(error);
      if (!isConnectionFailure(error)) {
        throw new Error(`PostgreSQL at ${options.target}: ${reason}`, { cause: error });
      }
      if (n >= total) {
        throw new Error(
          `PostgreSQL at ${options.target} is not reachable after ${total} ` +
            `${total === 1 ? "attempt" : "attempts"}: ${reason}`,
          { cause: error },
        );
      }
      const wait = backoffMs(n);
      options.log(
        `PostgreSQL at ${options.target} is not reachable (attempt ${n} of ${total}: ${reason}); ` +
          `retrying in ${wait / 1000} s`,
      );
      await sleep(wait);
    }
  }
}

/** `host:port/database` of a connection URL, never its user or password. */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, "");
    return `${parsed.host || "localhost"}/${database}`;
  } catch {
    return "the configured server";
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describe).join("; ");
  }
  if (error instanceof Error) return error.message || (error as { code?: string }).code || "error";
  return String(error);
}
