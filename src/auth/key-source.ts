/**
 * Where the keys that sign access tokens come from. Every source is a jose key resolver: it picks
 * the key by the token's `kid` and `alg` and never looks at `jku`, `x5u` or `jwk` headers.
 *
 * - `AUTH_JWKS_FILE`: a JWKS read once at startup.
 * - `AUTH_JWKS_URL`: fetched with a timeout and cached; an unknown `kid` refetches the set at most
 *   once per cooldown, so a rotated-in key is found without a restart.
 * - only `AUTH_ISSUER`: the issuer's OpenID discovery document names the `jwks_uri`. It is fetched
 *   on first use, and again on a later use if that failed.
 * - development issuer: its in-memory JWKS, through the same code as the file.
 *
 * Failures to reach a key set surface as plain errors or jose `JWKSTimeout`/`JWKSInvalid`; the
 * verifier turns them into 503 (see `verify-token.ts`).
 */
import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from "jose";
import { type AuthConfig, ConfigError } from "../config.ts";

/** A jose key resolver: given a token's protected header, the key to verify it with. */
export type KeySource = JWTVerifyGetKey;

export interface RemoteKeySourceOptions {
  /** Abort a key-set or discovery fetch after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** After a fetch, an unknown `kid` does not refetch for this long (default 30 s). */
  cooldownMs?: number;
  /** A fetched key set is refetched when older than this (default 10 min). */
  cacheMaxAgeMs?: number;
}

const DEFAULTS = { timeoutMs: 5_000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000 };

/** Chooses the key source the configuration names. `devJwks` is required for the dev issuer. */
export function createKeySource(
  auth: AuthConfig,
  devJwks?: JSONWebKeySet,
  options: RemoteKeySourceOptions = {},
): KeySource {
  if (auth.devIssuer) {
    if (!devJwks) throw new Error("The development issuer's key set is required.");
    return createLocalKeySource(devJwks);
  }
  if (auth.jwksFile !== undefined) return createFileKeySource(auth.jwksFile);
  if (auth.jwksUrl !== undefined) return createRemoteKeySource(new URL(auth.jwksUrl), options);
  const issuer = auth.issuers[0];
  if (issuer === undefined) {
    throw new ConfigError("AUTH_ISSUER, AUTH_JWKS_URL or AUTH_JWKS_FILE: one is required");
  }
  return createDiscoveryKeySource(issuer, options);
}

/** A key set held in memory (the development issuer, tests, and the JWKS file). */
export function createLocalKeySource(jwks: JSONWebKeySet): KeySource {
  return createLocalJWKSet(jwks);
}

/** Reads a JWKS file now; a missing or malformed file is a configuration error. */
export function createFileKeySource(path: string): KeySource {
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`AUTH_JWKS_FILE=${path}: cannot read a JSON key set (${message(error)})`);
  }
  try {
    return createLocalKeySource(jwks as JSONWebKeySet); // shape checked by jose just below
  } catch (error) {
    throw new ConfigError(`AUTH_JWKS_FILE=${path}: not a JSON Web Key Set (${message(error)})`);
  }
}

/** A key set fetched from `url`, cached, and refetched for an unknown `kid` after the cooldown. */
export function createRemoteKeySource(
  url: URL,
  options: RemoteKeySourceOptions = {},
): RemoteJWKSet {
  const { timeoutMs, cooldownMs, cacheMaxAgeMs } = { ...DEFAULTS, ...options };
  return createRemoteJWKSet(url, {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheMaxAgeMs,
  });
}

/** The key set named by `${issuer}/.well-known/openid-configuration`, discovered on first use. */
export function createDiscoveryKeySource(
  issuer: string,
  options: RemoteKeySourceOptions = {},
): KeySource {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const discoveryUrl = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let remote: RemoteJWKSet | undefined;
  let pending: Promise<RemoteJWKSet> | undefined;

  const discover = async (): Promise<RemoteJWKSet> => {
    const response = await fetch(discoveryUrl, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      throw new Error(`OpenID discovery at ${discoveryUrl} answered HTTP ${response.status}`);
    }
    const document: unknown = await response.json();
    const jwksUri =
      document && typeof document === "object" && "jwks_uri" in document
        ? document.jwks_uri
        : undefined;
    if (typeof jwksUri !== "string" || !/^https?:\/\//i.test(jwksUri)) {
      throw new Error(`OpenID discovery at ${discoveryUrl} has no http(s) jwks_uri`);
    }
    return createRemoteKeySource(new URL(jwksUri), options);
  };

  return async (header, token) => {
    if (!remote) {
      pending ??= discover().finally(() => {
        pending = undefined;
      });
      remote = await pending;
    }
    return remote(header, token);
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
