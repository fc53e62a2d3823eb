/**
 * Puts the parts together from the configuration: store, image processor, token verifier and,
 * when no AUTH_* setting is given, the development issuer. Used by `main.ts` and by the tests,
 * so both run the same wiring.
 */
import { readFile } from "node:fs/promises";
import type { AppParts } from "./app.ts";
import { type DevIssuer, devVerifierOptions, loadDevIssuer } from "./auth/dev-issuer.ts";
import { createKeySource } from "./auth/key-source.ts";
import { createTokenVerifier } from "./auth/verify-token.ts";
import type { Config } from "./config.ts";
import { createImageProcessor } from "./image/processor.ts";
import { openStore } from "./storage/open-store.ts";

export interface Assembly {
  parts: AppParts;
  /** The development issuer, when it is in use. */
  devIssuer: DevIssuer | undefined;
  /** Closes the store. */
  close(): Promise<void>;
}

export async function assemble(config: Readonly<Config>): Promise<Assembly> {
  const devIssuer = config.auth.devIssuer
    ? await loadDevIssuer({ dataDir: config.dataDir, publicUrl: config.publicUrl })
    : undefined;
  const verifier = createTokenVerifier(
    devIssuer
      ? devVerifierOptions(devIssuer, config.auth.clockToleranceSeconds)
      : {
          keys: createKeySource(config.auth),
          issuers: config.auth.issuers,
          audiences: config.auth.audiences,
          userClaim: config.auth.userClaim,
          clockToleranceSeconds: config.auth.clockToleranceSeconds,
        },
  );
  const tls = config.tls
    ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) }
    : undefined;
  const store = await openStore(config);
  const images = createImageProcessor({
    maxInputPixels: config.maxInputPixels,
    concurrency: config.imageConcurrency,
    queueLimit: config.imageQueueLimit,
  });
  return {
    parts: {
      config,
      store,
      images,
      verifier,
      tls,
      wellKnown: devIssuer && {
        discoveryDocument: () => devIssuer.discoveryDocument(),
        jwks: devIssuer.jwks,
      },
    },
    devIssuer,
    close: () => store.close(),
  };
}
