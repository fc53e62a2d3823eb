/** Opens the store the configuration names. */
import type { Config, LogLevel } from "../config.ts";
import type { Store } from "../photos/store.ts";
import { openPostgresStore } from "./postgres/postgres-store.ts";
import { openSqliteStore } from "./sqlite/sqlite-store.ts";

export interface OpenStoreOptions {
  /**
   * Where the store reports what happens before the service logs anything (waiting for the
   * database at startup) and lost idle connections. Default: one JSON line on stderr, in the
   * service log's format, at level warn (nothing when `logLevel` is quieter than warn).
   */
  log?: (message: string) => void;
}

export async function openStore(
  config: Pick<Config, "database" | "postgres"> & Partial<Pick<Config, "logLevel">>,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const { database } = config;
  switch (database.kind) {
    case "sqlite":
      return openSqliteStore({ path: database.path });
    case "postgres":
      return openPostgresStore({
        url: database.url,
        ...config.postgres,
        log: options.log ?? warnOnStderr(config.logLevel ?? "info"),
      });
  }
}

const QUIETER_THAN_WARN: readonly LogLevel[] = ["error", "fatal", "silent"];

function warnOnStderr(level: LogLevel): (message: string) => void {
  if (QUIETER_THAN_WARN.includes(level)) return () => {};
  return (message) => {
    process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), msg: message })}\n`);
  };
}
