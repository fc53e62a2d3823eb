/** Request ids: every response carries `request-id` and `client-request-id`, as Graph's do. */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const CLIENT_ID = /^[\w.:-]{1,128}$/;

export function newRequestId(): string {
  return randomUUID();
}

/** The client's `client-request-id` when it is a sane token, else the request's own id. */
export function clientRequestId(headers: IncomingHttpHeaders, requestId: string): string {
  const sent = headers["client-request-id"];
  return typeof sent === "string" && CLIENT_ID.test(sent) ? sent : requestId;
}

/** Sets both ids on the reply. */
export function sendRequestIds(request: FastifyRequest, reply: FastifyReply): void {
  reply.header("request-id", request.id);
  reply.header("client-request-id", clientRequestId(request.headers, request.id));
}

export function registerRequestContext(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    sendRequestIds(request, reply);
    done();
  });
}
