/**
 * Configuration: read from the environment once, validated, filled with defaults and frozen.
 * Nothing else in Portrait reads `process.env`. The README's config table mirrors `SETTINGS`.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface AuthConfig {
  /** Issuers accepted in `iss`. Empty when the development issuer is in use. */
  issuers: string[];
  audiences: string[];
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  /** The claim naming the signed-in user (`oid`). */
  userClaim: string;
  clockToleranceSeconds: number;
  /** True when no AUTH_* setting is given: Portrait trusts only its own development key. */
  devIssuer: boolean;
}

export interface Config {
  host: string;
  port: number;
  /** Base URL used in `@odata.context` and as the development issuer; derived when unset. */
  publicUrl: string;
  dataDir: string;
  database: { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };
  postgres: {
    /** Schema holding Portrait's tables (created when missing). */
    schema: string;
    poolSize: number;
    statementTimeoutMs: number;
    connectRetries: number;
  };
  auth: AuthConfig;
  tls: { certFile: string; keyFile: string } | undefined;
  maxUploadBytes: number;
  maxInputPixels: number;
  imageConcurrency: number;
  imageQueueLimit: number;
  /** `max-age` of photo responses; 0 makes clients revalidate so a new photo shows at once. */
  photoMaxAgeSeconds: number;
  /** Bytes of photo sizes kept in memory by entity tag (PHOTO_CACHE_MB); 0 turns it off. */
  photoCacheBytes: number;
  /** Requests per rate-limit window per caller; 0 turns rate limiting off. */
  rateLimitRequests: number;
  /** Length of the rate-limit window (60: a minute). */
  rateLimitWindowSeconds: number;
  /** Limits on connections, so slow or idle clients cannot hold them. */
  server: {
    /** From a request's first byte until its headers are complete. */
    headersTimeoutMs: number;
    /** From a request's first byte until its body is complete. */
    requestTimeoutMs: number;
    /** An idle connection between requests is closed after this. */
    keepAliveTimeoutMs: number;
    /** A connection with no bytes moving either way is closed after this. */
    socketTimeoutMs: number;
    /** Open connections at most; more are closed at once. 0: no cap. */
    maxConnections: number;
  };
  shutdownGraceMs: number;
  /** Server processes sharing the port (WORKERS); 1 runs the server in this process. */
  workers: number;
  logLevel: LogLevel;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

/** Thrown when a setting is wrong; the message names every wrong setting. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    // Decimal digits only: Number() would also read 0x2000, 1e3 or 0b1.
    const value = /^-?\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const identifier = (name: string, fallback: string): string => {
    const value = text(name) ?? fallback;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
      problems.push(`${name}=${value}: expected a lower-case SQL identifier`);
      return fallback;
    }
    return value;
  };
  const list = (name: string): string[] =>
    (text(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");

  const host = text("HOST") ?? "127.0.0.1";
  const port = int("PORT", 8080, 0, 65535);
  const dataDir = resolve(text("DATA_DIR") ?? "./data");

  const certFile = text("TLS_CERT_FILE");
  const keyFile = text("TLS_KEY_FILE");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push("TLS_CERT_FILE and TLS_KEY_FILE: set both or neither");
  }
  const tls = certFile && keyFile ? { certFile, keyFile } : undefined;

  const publicUrl = (
    text("PUBLIC_URL") ??
    `${tls ? "https" : "http"}://${hostForUrl(host)}${port === 0 ? "" : `:${port}`}`
  ).replace(/\/+$/, "");
  if (!isHttpUrl(publicUrl)) {
    problems.push(
      text("PUBLIC_URL") === undefined
        ? `HOST=${host}: not a host name or address (the public URL made from it, ${publicUrl}, is not a URL)`
        : `PUBLIC_URL=${publicUrl}: expected an http(s) URL`,
    );
  }

  const database = parseDatabaseUrl(text("DATABASE_URL"), dataDir, problems);

  const issuers = list("AUTH_ISSUER");
  const audiences = list("AUTH_AUDIENCE");
  const jwksUrl = text("AUTH_JWKS_URL");
  const jwksFile = text("AUTH_JWKS_FILE");
  const anyAuth = [issuers.length > 0, audiences.length > 0, jwksUrl, jwksFile].some(Boolean);
  if (anyAuth) {
    if (issuers.length === 0) problems.push("AUTH_ISSUER: required when any AUTH_* is set");
    if (audiences.length === 0) problems.push("AUTH_AUDIENCE: required when any AUTH_* is set");
    if (jwksUrl && jwksFile) problems.push("AUTH_JWKS_URL and AUTH_JWKS_FILE: set one, not both");
    if (jwksUrl && !isHttpUrl(jwksUrl)) problems.push(`AUTH_JWKS_URL=${jwksUrl}: expected a URL`);
    if (!jwksUrl && !jwksFile && issuers.length > 1) {
      problems.push("AUTH_JWKS_URL or AUTH_JWKS_FILE: required with more than one AUTH_ISSUER");
    }
  }

  const logLevel = (text("LOG_LEVEL") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${logLevel}: expected one of ${LOG_LEVELS.join(", ")}`);
  }

  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir,
    database,
    postgres: {
      schema: identifier("PG_SCHEMA", "public"),
      poolSize: int("PG_POOL_SIZE", 10, 1, 1000),
      statementTimeoutMs: int("PG_STATEMENT_TIMEOUT_MS", 5000, 0, 600_000),
      connectRetries: int("PG_CONNECT_RETRIES", 10, 0, 1000),
    },
    auth: {
      issuers,
      audiences,
      jwksUrl,
      jwksFile: jwksFile === undefined ? undefined : resolve(jwksFile),
      userClaim: text("AUTH_USER_CLAIM") ?? "oid",
      clockToleranceSeconds: int("AUTH_CLOCK_TOLERANCE_SECONDS", 30, 0, 300),
      devIssuer: !anyAuth,
    },
    tls,
    maxUploadBytes: int("MAX_UPLOAD_BYTES", 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxInputPixels: int("MAX_INPUT_PIXELS", 50_000_000, 48 * 48, 1_000_000_000),
    // One core stays free for serving photos while uploads are processed.
    imageConcurrency: int("IMAGE_CONCURRENCY", Math.max(1, availableParallelism() - 1), 1, 256),
    imageQueueLimit: int("IMAGE_QUEUE_LIMIT", 32, 0, 100_000),
    photoMaxAgeSeconds: int("PHOTO_MAX_AGE_SECONDS", 0, 0, 31_536_000),
    photoCacheBytes: int("PHOTO_CACHE_MB", 64, 0, 65_536) * 1024 * 1024,
    rateLimitRequests: int("RATE_LIMIT_REQUESTS", 0, 0, 10_000_000),
    rateLimitWindowSeconds: int("RATE_LIMIT_WINDOW_SECONDS", 60, 1, 86_400),
    server: serverLimits(int, problems),
    shutdownGraceMs: int("SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    workers: int("WORKERS", 1, 1, 64),
    logLevel,
  };

  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return deepFreeze(config);
}

function serverLimits(
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): Config["server"] {
  const limits = {
    headersTimeoutMs: int("HEADERS_TIMEOUT_MS", 10_000, 100, 3_600_000),
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", 60_000, 100, 3_600_000),
    keepAliveTimeoutMs: int("KEEP_ALIVE_TIMEOUT_MS", 5_000, 100, 3_600_000),
    socketTimeoutMs: int("SOCKET_TIMEOUT_MS", 60_000, 100, 3_600_000),
    maxConnections: int("MAX_CONNECTIONS", 0, 0, 1_000_000),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push("HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS");
  }
  return limits;
}

function parseDatabaseUrl(
  raw: string | undefined,
  dataDir: string,
  problems: string[],
): Config["database"] {
  if (raw === undefined) return { kind: "sqlite", path: resolve(dataDir, "portrait.db") };
  if (raw.startsWith("postgres://") || raw.startsWith("postgresql://")) {
    return { kind: "postgres", url: raw };
  }
  if (raw.startsWith("sqlite:")) {
    const path = raw.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "")
      problems.push("DATABASE_URL=sqlite: needs a file path, e.g. sqlite:./data/p.db");
    return { kind: "sqlite", path: path === ":memory:" ? path : resolve(path) };
  }
  problems.push(`DATABASE_URL=${raw}: expected sqlite:<path> or postgres://...`);
  return { kind: "sqlite", path: resolve(dataDir, "portrait.db") };
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
