/**
 * Process lifecycle: read the configuration, then either serve (`serve.ts`) or, with WORKERS
 * above 1, supervise the worker processes that serve (`cluster.ts`).
 */
import { pathToFileURL } from "node:url";
import { isClusterWorker, runPrimary } from "./cluster.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";

export const SERVE_HELP = `Usage: portrait serve   (or: npm start)

Starts the Portrait service. Settings come from the environment; see the README's
configuration table. Common ones:
  PORT (8080)  HOST (127.0.0.1)  DATA_DIR (./data)  DATABASE_URL (sqlite:<path> | postgres://...)
  AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL | AUTH_JWKS_FILE  (unset: built-in development issuer)
  TLS_CERT_FILE + TLS_KEY_FILE  LOG_LEVEL (info)  WORKERS (1: server processes)`;

export async function runServer(config: Readonly<Config>): Promise<void> {
  // WORKERS > 1: this process only supervises; each worker runs this function again.
  if (config.workers > 1 && !isClusterWorker()) {
    runPrimary({ workers: config.workers, shutdownGraceMs: config.shutdownGraceMs });
    return;
  }
  // Loaded only here: a cluster's primary never serves, and without the server's modules (Fastify,
  // sharp, the stores) it is little more than Node itself (bench/memory.ts).
  const { serve } = await import("./serve.ts");
  await serve(config);
}

/** Loads the configuration, or prints what is wrong with it and exits with status 2. */
export function configOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(SERVE_HELP);
  } else {
    runServer(configOrExit()).catch((error: unknown) => {
      console.error(`Portrait failed to start: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    });
  }
}
