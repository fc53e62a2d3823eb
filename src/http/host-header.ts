/**
 * HTTP/1.1 requires a `Host` header (RFC 9112): a request without one gets Graph's 400. Node
 * would refuse it itself with a bare 400; `server-limits.ts` leaves it to this hook so that the
 * answer has Graph's error body and request ids. HTTP/1.0 requests may omit it.
 */
import type { FastifyInstance } from "fastify";
import { GraphError } from "../errors.ts";

export function registerHostCheck(app: FastifyInstance): void {
  app.addHook("onRequest", (request, _reply, done) => {
    if (request.headers.host === undefined && request.raw.httpVersion !== "1.0") {
      done(new GraphError("BadRequest", "The request has no Host header."));
      return;
    }
    done();
  });
}
