/** Opens the store the configuration names. */
import type { Config } from "../config.ts";
import type { Store } from "../photos/store.ts";
import { openSqliteStore } from "./sqlite/sqlite-store.ts";

export async function openStore(config: Pick<Config, "database" | "postgres">): Promise<Store> {
  const { database } = config;
  switch (database.kind) {
    case "sqlite":
      return openSqliteStore({ path: database.path });
    case "postgres":
      throw new Error("PostgreSQL storage is not available yet");
  }
}
