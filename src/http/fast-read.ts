/**
 * The photo read fast path. `GET {version}/me|users/{id}/photo/$value` and
 * `.../photos/{size}/$value` with a token verified before are answered from Node's request event,
 * without entering Fastify: they are most of a deployment's traffic, and Fastify's routing,
 * hooks and reply handling are a large share of what such a small answer costs (BENCHMARKS.md).
 * The answer is the one the Fastify route gives (`test/http/fast-read.test.ts` holds the two to
 * the same status, headers and body): the same domain calls, the same headers, counted in the
 * metrics, the access log and the rate limit. With a store that reads without waiting (SQLite)
 * and the bytes in the cache, the answer is written within the request event, without a promise.
 * The metadata of the same URLs (`.../photo`, `.../photos/{size}`, `.../photos`) is answered
 * here only that way, without a promise; otherwise by the Fastify routes.
 *
 * Everything else goes to Fastify untouched: other URLs and methods, query strings,
 * percent-encoding, no `Host`, unknown tokens, a caller over its rate limit, and any request
 * whose lookup fails, so that every error is still rendered in one place (`error-renderer.ts`).
 */
import { randomUUID } from "node:crypto";
import type {
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  Server,
  ServerResponse,
} from "node:http";
import type { TokenVerifier } from "../auth/verify-token.ts";
import {
  type PhotoOwner,
  type ReadAhead,
  resolvePhotoOwner,
  resolveUserReadNow,
} from "../photos/photo-owner.ts";
import type { PhotoService } from "../photos/photo-service.ts";
import { parseSizeLabel } from "../photos/sizes.ts";
import type { Store, StoredSize } from "../photos/store.ts";
import type { AccessLine } from "./access-log.ts";
import { notModified } from "./conditional.ts";
import { crossOriginHeaders } from "./cors.ts";
import type { Draining } from "./draining.ts";
import type { Metrics } from "./metrics.ts";
import { contextUrl } from "./odata.ts";
import { MAX_PARAM_LENGTH, ME_ROUTE, type Params, USER_ROUTE } from "./owner-routes.ts";
import { photoCollection, photoEntity } from "./photo-entities.ts";
import { photoBytesHeaders } from "./photo-routes.ts";
import { admitCaller, type RateLimiter } from "./rate-limit.ts";
import { clientRequestId } from "./request-context.ts";

export interface FastReadOptions {
  verifier: TokenVerifier;
  store: Store;
  photos: PhotoService;
  rateLimiter: RateLimiter;
  /** `Cache-Control` of photo bytes, as the Fastify route sends it. */
  cacheControl: string;
  metrics: Metrics;
  /** The access log's line; undefined when `info` lines are not written. */
  accessLine: AccessLine | undefined;
  /** Once active, every request goes to Fastify, which refuses it (`draining.ts`). */
  draining: Draining;
  /** The service's public base URL, for `@odata.context`. */
  publicUrl: string;
}

/**
 * Version, then `me` or `users/{id}`, then `photo` or `photos` or `photos/{size}`, then
 * optionally `$value`, in the lower case Graph clients send, with nothing Fastify's router would
 * decode, split or refuse: no `%`, `?`, `;` or `#`, and parameters within its length limit.
 */
const SEGMENT = `[^/?%;#]{1,${MAX_PARAM_LENGTH}}`;
const PHOTO_URL = new RegExp(
  `^/(v1\\.0|beta)/(?:me|users/(${SEGMENT}))/(?:(photo)|photos(?:/(${SEGMENT}))?)(/\\$value)?$`,
);
const BEARER_PREFIX = "Bearer ";
const JSON_TYPE = "application/json; charset=utf-8";
const EVERY_SIZE = { sizes: true } as const;
const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});

/**
 * Puts the fast path in front of `fastify`, the Fastify listener of `server`, at its place
 * among the server's request listeners.
 */
export function installFastRead(
  server: Server,
  fastify: RequestListener,
  options: FastReadOptions,
): void {
  const {
    verifier,
    store,
    photos,
    rateLimiter,
    cacheControl,
    metrics,
    accessLine,
    draining,
    publicUrl,
  } = options;
  /** Metadata bodies by the store's answer they were made from, and their context URL. */
  const bodies = new WeakMap<object, { context: string; body: string; length: number }>();

  const respond = (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    statusCode: number,
    headers: OutgoingHttpHeaders,
    entity?: { type: string; body: Uint8Array | string; length: number },
  ) => {
    const requestId = randomUUID();
    const head: OutgoingHttpHeaders = {
      "request-id": requestId,
      "client-request-id": clientRequestId(request.headers, requestId),
      ...headers,
      ...(entity && { "content-type": entity.type, "content-length": entity.length }),
    };
    const cross = crossOriginHeaders(request.headers);
    if (cross !== undefined) Object.assign(head, cross);
    response.writeHead(statusCode, head);
    const finished = () => {
      const elapsed = performance.now() - started;
      metrics.record("GET", statusCode, elapsed, true);
      accessLine?.({
        reqId: requestId,
        method: "GET",
        url: request.url ?? "",
        remoteAddress: request.socket.remoteAddress,
        statusCode,
        responseTime: elapsed,
      });
    };
    if (entity === undefined) response.end(finished);
    else response.end(entity.body, finished);
  };

  /** Photo bytes: 304 when `If-None-Match` names the size's tag. */
  const sendBytes = (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    size: StoredSize,
  ) => {
    const headers = photoBytesHeaders(size.etag, cacheControl);
    if (notModified(request.headers, size.etag)) {
      respond(request, response, started, 304, headers);
      return;
    }
    const { bytes } = size;
    respond(request, response, started, 200, headers, {
      type: "image/jpeg",
      body: bytes,
      length: bytes.byteLength,
    });
  };

  /**
   * A metadata answer from what `owner` was read with: the collection (`context` ending in
   * `/photos`) or one size. False when there is nothing to answer with: Fastify renders the 404.
   */
  const sendMetadata = (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    owner: PhotoOwner,
    context: string,
  ): boolean => {
    const sizes = owner.prefetchedSizes;
    const size = owner.prefetched?.size;
    const source = sizes?.length ? sizes : size;
    if (!source) return false;
    let made = bodies.get(source);
    if (made?.context !== context) {
      const body = JSON.stringify(
        sizes?.length ? photoCollection(context, sizes) : size && photoEntity(context, size),
      );
      made = { context, body, length: Buffer.byteLength(body) };
      // A frozen answer never changes, so its body is kept for as long as the store keeps it.
      if (Object.isFrozen(source)) bodies.set(source, made);
    }
    const { body, length } = made;
    respond(request, response, started, 200, NO_HEADERS, { type: JSON_TYPE, body, length });
    return true;
  };

  const listener: RequestListener = (request, response) => {
    const header = request.headers.authorization;
    const match =
      !draining.active &&
      request.method === "GET" &&
      request.headers.host !== undefined &&
      header?.startsWith(BEARER_PREFIX)
        ? PHOTO_URL.exec(request.url ?? "")
        : null;
    const principal = match && verifier.cached(header?.slice(BEARER_PREFIX.length) ?? "");
    if (!match || !principal) {
      fastify(request, response);
      return;
    }
    const [, version, userKey, singular, sizeLabel, value] = match;
    const label = sizeLabel === undefined ? undefined : parseSizeLabel(sizeLabel);
    const listing = singular === undefined && label === undefined;
    if (
      (label && label.kind !== "size") ||
      (rateLimiter.enabled &&
        !admitCaller(rateLimiter, request, principal.tenantId, principal.subject))
    ) {
      fastify(request, response);
      return;
    }
    const started = performance.now();
    const edge = label?.kind === "size" ? label.edge : undefined;
    const params: Params = userKey === undefined ? {} : { userKey };
    const route = userKey === undefined ? ME_ROUTE : USER_ROUTE;
    const path = route.toPath(params);
    const read: ReadAhead = listing ? EVERY_SIZE : { edge };
    // A store that reads without waiting, and bytes in the cache: answered without a promise.
    let owner: PhotoOwner | undefined;
    let now: StoredSize | undefined;
    try {
      owner =
        path.kind === "user" ? resolveUserReadNow(store, principal, path.user, read) : undefined;
      now = owner && value !== undefined ? photos.cachedContent(owner, edge) : undefined;
    } catch {
      // Not found, not allowed, store down: Fastify asks again and renders the error.
      fastify(request, response);
      return;
    }
    if (value === undefined) {
      const tail = listing ? "/photos" : singular ? "/photo/$entity" : "/photos/$entity";
      const context = contextUrl(
        publicUrl,
        version === "beta" ? "beta" : "v1.0",
        `${route.entityPath(params, principal)}${tail}`,
      );
      if (!owner || !sendMetadata(request, response, started, owner, context)) {
        fastify(request, response);
      }
      return;
    }
    if (now) {
      sendBytes(request, response, started, now);
      return;
    }
    // An owner decided above is not decided again; only the bytes are read.
    const content = owner
      ? photos.content(owner, edge)
      : resolvePhotoOwner(store, principal, path, "read", { edge }).then((found) =>
          photos.content(found, edge),
        );
    content.then(
      (size) => sendBytes(request, response, started, size),
      () => fastify(request, response),
    );
  };

  server.removeListener("request", fastify);
  server.prependListener("request", listener);
}
