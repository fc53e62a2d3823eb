/**
 * The built-in development issuer, used when no AUTH_* setting is given. It owns one ES256 key
 * pair and a random tenant id, kept in `${dataDir}/dev-issuer.json` (mode 0600) so tokens minted
 * before a restart still verify after it. It mints Graph-like access tokens for local use and
 * tests; Portrait then trusts only this key (see `devVerifierOptions`).
 */
import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";
import { createLocalKeySource } from "./key-source.ts";
import type { TokenVerifierOptions } from "./verify-token.ts";

export const DEV_ISSUER_FILE = "dev-issuer.json";
export const DEV_AUDIENCE = "https://graph.microsoft.com";
/** Client id written into tokens that name no `appId`. */
export const DEV_APP_ID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";
const ALG = "ES256";

export interface MintOptions {
  /** The user's object id (`oid`); required unless `app` is set. */
  user?: string;
  /** An application (app-only) token: `roles` and `idtyp: "app"`, no user. */
  app?: boolean;
  appId?: string;
  /** Delegated permissions, written space-separated into `scp`. */
  scopes?: string[];
  /** Application permissions (`roles`). */
  roles?: string[];
  /** Directory role template ids (`wids`). */
  adminRoles?: string[];
  /** Defaults to the issuer's own tenant. */
  tenantId?: string;
  /** Default 3600. */
  lifetimeSeconds?: number;
}

export interface DevIssuer {
  /** `iss` of minted tokens: the public URL. */
  readonly issuer: string;
  readonly audience: string;
  readonly tenantId: string;
  /** The public key set, served at `${publicUrl}/.well-known/jwks.json`. */
  readonly jwks: JSONWebKeySet;
  /** Where the key and tenant are kept. */
  readonly file: string;
  /** The OpenID discovery document, served at `/.well-known/openid-configuration`. */
  discoveryDocument(): Record<string, unknown>;
  mint(options?: MintOptions): Promise<string>;
}

interface StoredIssuer {
  version: 1;
  tenantId: string;
  privateKey: JWK;
}

/**
 * Loads the development issuer from `dataDir`, creating its key and tenant on first start;
 * with `create: false`, a missing issuer is an error instead (a token minted with a new key
 * would be refused by the service that has the old one).
 */
export async function loadDevIssuer(options: {
  dataDir: string;
  publicUrl: string;
  create?: boolean;
}): Promise<DevIssuer> {
  const file = join(options.dataDir, DEV_ISSUER_FILE);
  const found = await readStored(file);
  if (!found && options.create === false) {
    throw new Error(
      `No development issuer in ${resolve(options.dataDir)}: Portrait makes one when it first ` +
        "starts. Run this where the service runs, or set DATA_DIR to its data directory.",
    );
  }
  const stored = found ?? (await createStored(options.dataDir, file));
  const issuer = options.publicUrl.replace(/\/+$/, "");
  const { kty, crv, x, y } = stored.privateKey;
  const publicJwk: JWK = { kty, crv, x, y };
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: ALG, use: "sig" }] };
  const signingKey = await importJWK({ ...stored.privateKey, alg: ALG }, ALG);

  return {
    issuer,
    audience: DEV_AUDIENCE,
    tenantId: stored.tenantId,
    jwks,
    file,
    discoveryDocument: () => ({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ["token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: [ALG],
      token_endpoint_auth_signing_alg_values_supported: [ALG],
      claims_supported: ["iss", "aud", "tid", "oid", "sub", "scp", "roles", "wids", "azp", "appid"],
    }),
    async mint(mint = {}) {
      const lifetime = mint.lifetimeSeconds ?? 3600;
      if (!Number.isInteger(lifetime) || lifetime <= 0) {
        throw new RangeError("lifetimeSeconds must be a positive whole number");
      }
      const appId = mint.appId ?? DEV_APP_ID;
      const claims: Record<string, unknown> = {
        tid: mint.tenantId ?? stored.tenantId,
        sub: appId,
        azp: appId,
        appid: appId,
        ver: "2.0",
      };
      if (mint.app) {
        claims.idtyp = "app";
        claims.roles = mint.roles ?? [];
      } else {
        if (!mint.user) throw new TypeError("A delegated token needs a user object id");
        claims.oid = mint.user;
        claims.sub = mint.user;
        claims.scp = (mint.scopes ?? []).join(" ");
        if (mint.roles) claims.roles = mint.roles;
        if (mint.adminRoles) claims.wids = mint.adminRoles;
      }
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: ALG, kid, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + lifetime)
        .setJti(randomUUID())
        .sign(signingKey);
    },
  };
}

/** Verifier options that trust only `dev`'s key, issuer and audience. */
export function devVerifierOptions(
  dev: DevIssuer,
  clockToleranceSeconds = 30,
): TokenVerifierOptions {
  return {
    keys: createLocalKeySource(dev.jwks),
    issuers: [dev.issuer],
    audiences: [dev.audience],
    userClaim: "oid",
    clockToleranceSeconds,
  };
}

async function readStored(file: string): Promise<StoredIssuer | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isStoredIssuer(parsed)) {
    throw new Error(`${file} is not a development issuer file; delete it to create a new key.`);
  }
  return parsed;
}

/**
 * Creates the key and tenant and publishes them without ever exposing a half-written file: written
 * to a private temp file, then hard-linked into place, which fails if another process got there
 * first (that one's file is then used). Where hard links are unsupported, renamed instead.
 */
async function createStored(dataDir: string, file: string): Promise<StoredIssuer> {
  await mkdir(dataDir, { recursive: true });
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const stored: StoredIssuer = {
    version: 1,
    tenantId: randomUUID(),
    privateKey: await exportJWK(privateKey),
  };
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") {
      await rename(temp, file);
      return stored;
    }
    await unlink(temp);
    const winner = await readStored(file);
    if (!winner) throw new Error(`${file} vanished while the development issuer was created.`);
    return winner;
  }
  await unlink(temp);
  return stored;
}

function isStoredIssuer(value: unknown): value is StoredIssuer {
  if (!value || typeof value !== "object") return false;
  const stored = value as Partial<StoredIssuer>;
  const key = stored.privateKey;
  return (
    stored.version === 1 &&
    typeof stored.tenantId === "string" &&
    stored.tenantId !== "" &&
    !!key &&
    key.kty === "EC" &&
    key.crv === "P-256" &&
    typeof key.x === "string" &&
    typeof key.y === "string" &&
    typeof key.d === "string"
  );
}
