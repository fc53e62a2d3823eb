/**
 * Puts the parts together from the configuration: store, image processor, token verifier and,
 * when no AUTH_* setting is given, the development issuer. Used by `main.ts` and by the tests,
 * so both run the same wiring.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { AppParts } from "./app.ts";
import { type DevIssuer, devVerifierOptions, loadDevIssuer } from "./auth/dev-issuer.ts";
import { createKeySource } from "./auth/key-source.ts";
import { createTokenVerifier } from "./auth/verify-token.ts";
import { type Config, ConfigError } from "./config.ts";
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
  const tls = config.tls ? await readTls(config.tls) : undefined;
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

/** The certificate and its key, read and tried as a pair now, so that a bad file is named. */
async function readTls(files: { certFile: string; keyFile: string }) {
  const read = async (name: string, path: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new ConfigError(`${name}=${path}: cannot be read (${(error as Error).message})`);
    }
  };
  const cert = await read("TLS_CERT_FILE", files.certFile);
  const key = await read("TLS_KEY_FILE", files.keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `TLS_CERT_FILE=${files.certFile}, TLS_KEY_FILE=${files.keyFile}: not a PEM certificate ` +
        `and its private key (${(error as Error).message})`,
    );
  }
  return { cert, key };
}
