/**
 * The photo read fast path. `GET {version}/me|users/{id}/photo/$value` and
 * `.../photos/{size}/$value` with a token verified before are answered from Node's request event,
 * without entering Fastify: they are most of a deployment's traffic, and Fastify's routing,
 * hooks and handling of a byte payload cost 4 to 16 µs of the 54 to 70 µs each took
 * (BENCHMARKS.md). The answer is the one the Fastify route gives (`test/http/fast-read.test.ts`
 * holds the two to the same status, headers and bytes): the same domain calls, the same
 * headers, counted in the metrics, the access log and the rate limit. With a store that reads
 * without waiting (SQLite) and the bytes in the cache, the answer is written within the request
 * event, without a promise. Metadata GETs stay on the Fastify routes: answering them here
 * gained nothing measurable.
 *
 * Everything else goes to Fastify untouched: other URLs and methods, query strings,
 * percent-encoding, unknown tokens, a caller over its rate limit, and any request whose lookup
 * fails, so that every error is still rendered in one place (`error-renderer.ts`).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { TokenVerifier } from "../auth/verify-token.ts";
import { type PhotoOwner, resolvePhotoOwner, resolveUserReadNow } from "../photos/photo-owner.ts";
import type { PhotoService } from "../photos/photo-service.ts";
import { parseSizeLabel } from "../photos/sizes.ts";
import type { Store, StoredSize } from "../photos/store.ts";
import type { AccessLine } from "./access-log.ts";
import { notModified } from "./conditional.ts";
import type { Draining } from "./draining.ts";
import type { Metrics } from "./metrics.ts";
import { MAX_PARAM_LENGTH, ME_ROUTE, USER_ROUTE } from "./owner-routes.ts";
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
}

/**
 * Version, then `me` or `users/{id}`, then `photo` or `photos/{size}`, then `$value`, in the
 * lower case Graph clients send, with nothing Fastify's router would decode, split or refuse:
 * no `%`, `?`, `;` or `#`, and parameters within its length limit.
 */
const SEGMENT = `[^/?%;#]{1,${MAX_PARAM_LENGTH}}`;
const PHOTO_VALUE = new RegExp(
  `^/(?:v1\\.0|beta)/(?:me|users/(${SEGMENT}))/(?:photo|photos/(${SEGMENT}))/\\$value$`,
);
const BEARER_PREFIX = "Bearer ";

/**
 * Puts the fast path in front of `fastify`, the Fastify listener of `server`, at its place
 * among the server's request listeners.
 */
export function installFastRead(
  server: Server,
  fastify: RequestListener,
  options: FastReadOptions,
): void {
  const { verifier, store, photos, rateLimiter, cacheControl, metrics, accessLine, draining } =
    options;

  const respond = (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
    statusCode: number,
    etag: string,
    bytes?: Uint8Array,
  ) => {
    const requestId = randomUUID();
    response.writeHead(statusCode, {
      "request-id": requestId,
      "client-request-id": clientRequestId(request.headers, requestId),
      ...photoBytesHeaders(etag, cacheControl),
      ...(bytes && { "content-type": "image/jpeg", "content-length": bytes.byteLength }),
    });
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
    if (bytes) response.end(bytes, finished);
    else response.end(finished);
  };

  const listener: RequestListener = (request, response) => {
    const header = request.headers.authorization;
    const match =
      !draining.active && request.method === "GET" && header?.startsWith(BEARER_PREFIX)
        ? PHOTO_VALUE.exec(request.url ?? "")
        : null;
    const principal = match && verifier.cached(header?.slice(BEARER_PREFIX.length) ?? "");
    if (!match || !principal) {
      fastify(request, response);
      return;
    }
    const [, userKey, sizeLabel] = match;
    const label = sizeLabel === undefined ? undefined : parseSizeLabel(sizeLabel);
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
    const path = userKey === undefined ? ME_ROUTE.toPath({}) : USER_ROUTE.toPath({ userKey });
    const send = (size: StoredSize) => {
      if (notModified(request.headers, size.etag)) {
        respond(request, response, started, 304, size.etag);
      } else {
        respond(request, response, started, 200, size.etag, size.bytes);
      }
    };
    // A store that reads without waiting, and bytes in the cache: answered without a promise.
    let owner: PhotoOwner | undefined;
    let now: StoredSize | undefined;
    try {
      owner =
        path.kind === "user" ? resolveUserReadNow(store, principal, path.user, edge) : undefined;
      now = owner && photos.cachedContent(owner, edge);
    } catch {
      // Not found, not allowed, store down: Fastify asks again and renders the error.
      fastify(request, response);
      return;
    }
    if (now) {
      send(now);
      return;
    }
    // An owner decided above is not decided again; only the bytes are read.
    const content = owner
      ? photos.content(owner, edge)
      : resolvePhotoOwner(store, principal, path, "read", { edge }).then((found) =>
          photos.content(found, edge),
        );
    content.then(send, () => fastify(request, response));
  };

  server.removeListener("request", fastify);
  server.prependListener("request", listener);
}
