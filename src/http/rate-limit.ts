/**
 * Per-caller rate limiting: a fixed window per caller (tenant + token subject, so every user and
 * every application has its own budget), `limit` requests per `windowSeconds`. The request
 * beyond the budget gets 429 `TooManyRequests` with `Retry-After` = whole seconds until the
 * caller's window ends, which is when its next request is allowed.
 *
 * Memory is bounded: windows are kept in a Map in the order they started, so expired windows
 * sit at its front and are dropped as new requests arrive; at `maxKeys` callers the oldest
 * window is dropped to make room.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import { GraphError } from "../errors.ts";

export interface RateLimiterOptions {
  /** Requests allowed per caller per window; 0 turns limiting off. */
  limit: number;
  windowSeconds: number;
  /** Callers tracked at most (default 100 000). */
  maxKeys?: number;
  /** Milliseconds from a monotonic clock; tests pass their own. */
  now?: () => number;
}

export interface RateLimiter {
  readonly enabled: boolean;
  /**
   * Counts one request of `key`. Returns 0 when it is allowed, else the whole seconds (at least
   * 1) until this caller's next request will be allowed.
   */
  take(key: string): number;
  /** Callers currently tracked. */
  size(): number;
}

interface Window {
  start: number;
  count: number;
}

const DEFAULT_MAX_KEYS = 100_000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowSeconds } = options;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const now = options.now ?? (() => performance.now());
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be positive, got ${windowSeconds}`);
  }
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  }
  const windowMs = windowSeconds * 1000;
  /** Insertion order is window start order: a window that restarts is moved to the end. */
  const windows = new Map<string, Window>();

  const dropExpired = (at: number): void => {
    for (const [key, window] of windows) {
      if (at - window.start < windowMs) return;
      windows.delete(key);
    }
  };

  return {
    enabled: limit > 0,
    take(key) {
      if (limit === 0) return 0;
      const at = now();
      dropExpired(at);
      const window = windows.get(key);
      if (window === undefined) {
        if (windows.size >= maxKeys) {
          const oldest = windows.keys().next();
          if (!oldest.done) windows.delete(oldest.value);
        }
        windows.set(key, { start: at, count: 1 });
        return 0;
      }
      if (window.count < limit) {
        window.count++;
        return 0;
      }
      return Math.max(1, Math.ceil((window.start + windowMs - at) / 1000));
    },
    size: () => windows.size,
  };
}

/**
 * What `take` answered for requests counted before Fastify saw them (the read fast path, which
 * hands a refused or failed request on to Fastify): each request counts once.
 */
const counted = new WeakMap<IncomingMessage, number>();

const callerKey = (tenantId: string, subject: string): string => `${tenantId} ${subject}`;

/** Counts `request` of this caller now; true when it is within the caller's budget. */
export function admitCaller(
  limiter: RateLimiter,
  request: IncomingMessage,
  tenantId: string,
  subject: string,
): boolean {
  const retryAfter = limiter.take(callerKey(tenantId, subject));
  counted.set(request, retryAfter);
  return retryAfter === 0;
}

/**
 * Adds the limit to the Graph routes of `app`. Registered after authentication, so the caller is
 * known; a request without a valid token is refused before it counts.
 */
export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter): void {
  if (!limiter.enabled) return;
  app.addHook("onRequest", async (request) => {
    const { tenantId, subject } = request.principal;
    const retryAfter = counted.get(request.raw) ?? limiter.take(callerKey(tenantId, subject));
    if (retryAfter > 0) {
      throw new GraphError(
        "TooManyRequests",
        `Too many requests from this caller. Retry after ${retryAfter} seconds.`,
        { retryAfter },
      );
    }
  });
}
