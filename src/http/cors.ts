/**
 * Cross-origin requests, which Graph allows: browser apps call it from their own origin with a
 * bearer token. Tokens are not ambient credentials (no cookies), so every origin may call, as
 * with Graph. A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204
 * before authentication, as browsers send it without the token; it allows the methods Graph
 * URLs take and the headers the browser asks for. Every answer to a request with an `Origin`
 * allows that origin and exposes the response headers Graph clients read (request ids, `ETag`,
 * `Retry-After`, `WWW-Authenticate`, `Location`).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";

/** Headers of every answer to a cross-origin request. */
const CROSS_ORIGIN: Readonly<OutgoingHttpHeaders> = Object.freeze({
  "access-control-allow-origin": "*",
  "access-control-expose-headers":
    "request-id, client-request-id, etag, retry-after, www-authenticate, location",
});

const PREFLIGHT: Readonly<OutgoingHttpHeaders> = Object.freeze({
  "access-control-allow-methods": "GET, HEAD, PUT, PATCH, POST, DELETE",
  "access-control-max-age": "3600",
});

/** A header token list, as a browser sends `Access-Control-Request-Headers`. */
const HEADER_LIST = /^[\w-]+(?:\s*,\s*[\w-]+)*$/;

/** The cross-origin headers of an answer to a request with these headers; none without `Origin`. */
export function crossOriginHeaders(
  headers: IncomingHttpHeaders,
): Readonly<OutgoingHttpHeaders> | undefined {
  return headers.origin === undefined ? undefined : CROSS_ORIGIN;
}

export function registerCors(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    const cross = crossOriginHeaders(request.headers);
    if (cross === undefined) {
      done();
      return;
    }
    reply.headers(cross);
    const asked = request.headers["access-control-request-method"];
    if (request.method !== "OPTIONS" || asked === undefined) {
      done();
      return;
    }
    const wanted = request.headers["access-control-request-headers"];
    reply
      .code(204)
      .headers(PREFLIGHT)
      .header(
        "access-control-allow-headers",
        typeof wanted === "string" && HEADER_LIST.test(wanted) ? wanted : "authorization",
      )
      .send();
  });
}
