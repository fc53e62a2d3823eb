/**
 * One serving process: assemble the parts, listen, log how to reach the service, and shut down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the store).
 * Loaded by `main.ts` only in a process that serves, so a cluster's primary stays small.
 */
import { buildApp } from "./app.ts";
import { assemble } from "./assemble.ts";
import { tokenCommandHint } from "./cli/token.ts";
import type { Config } from "./config.ts";
import { unsentResponses } from "./http/in-flight.ts";

export async function serve(config: Readonly<Config>): Promise<void> {
  const assembly = await assemble(config);
  const app = await buildApp(assembly.parts);
  // Fastify names the address http:// even when the server it was given speaks TLS.
  const scheme = (address: string) => (config.tls ? address.replace(/^http:/, "https:") : address);
  const address = scheme(
    await app.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (listening) => `Server listening at ${scheme(listening)}`,
    }),
  );
  const store =
    config.database.kind === "sqlite"
      ? `sqlite (${config.database.path})`
      : `postgres (${redact(config.database.url)})`;
  app.log.info({ address, store, publicUrl: config.publicUrl }, `Portrait listening on ${address}`);
  if (assembly.devIssuer) {
    const { issuer, tenantId } = assembly.devIssuer;
    app.log.info({ issuer, tenantId }, "Development issuer on: tokens from `npx portrait token`");
    app.log.info(`Get a token: ${tokenCommandHint(config)}`);
    // No quotes, which a JSON log line would print escaped: the line pastes into a shell.
    app.log.info(`Try it: curl --oauth2-bearer $TOKEN ${config.publicUrl}/v1.0/users`);
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
