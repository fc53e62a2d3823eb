/**
 * Process lifecycle: read the configuration, assemble the parts, listen, and shut down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the store).
 */
import { pathToFileURL } from "node:url";
import { buildApp } from "./app.ts";
import { assemble } from "./assemble.ts";
import { isClusterWorker, runPrimary } from "./cluster.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { unsentResponses } from "./http/in-flight.ts";

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
  const assembly = await assemble(config);
  const app = await buildApp(assembly.parts);
  const address = await app.listen({ host: config.host, port: config.port });
  const store =
    config.database.kind === "sqlite"
      ? `sqlite (${config.database.path})`
      : `postgres (${redact(config.database.url)})`;
  app.log.info({ address, store, publicUrl: config.publicUrl }, `Portrait listening on ${address}`);
  if (assembly.devIssuer) {
    const { issuer, tenantId } = assembly.devIssuer;
    app.log.info({ issuer, tenantId }, "Development issuer on: tokens from `npx portrait token`");
    app.log.info("Get a token: TOKEN=$(npx portrait token --app --roles User.ReadWrite.All)");
    app.log.info(`Try it: curl -H "Authorization: Bearer $TOKEN" ${config.publicUrl}/v1.0/users`);
  } else {
    app.log.info(
      { issuers: config.auth.issuers, audiences: config.auth.audiences },
      "Accepting tokens of the configured issuer",
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "Shutting down: finishing in-flight requests");
    // Answers still to be written close their connection: an idle keep-alive connection would
    // otherwise hold the process until its idle timeout, past the grace period.
    for (const response of unsentResponses(app.server)) response.shouldKeepAlive = false;
    const timer = setTimeout(() => {
      app.log.error({ graceMs: config.shutdownGraceMs }, "Shutdown grace period exceeded");
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    try {
      await app.close();
      await assembly.close();
      app.log.info("Stopped");
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, "Shutdown failed");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
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
