/**
 * The bearer-token check of every Graph route. Registered inside the encapsulated plugin that
 * holds those routes, so health and discovery endpoints stay public by construction.
 */
import type { FastifyInstance } from "fastify";
import { readBearerToken } from "../auth/bearer.ts";
import type { Principal } from "../auth/principal.ts";
import type { TokenVerifier } from "../auth/verify-token.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified caller; set on every request that reaches a Graph handler. */
    principal: Principal;
  }
}

/** `Authorization: Bearer <token>` exactly as Graph clients send it. */
const BEARER_PREFIX = "Bearer ";

export function registerAuthentication(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest("principal", undefined as unknown as Principal);
  app.addHook("onRequest", (request, _reply, done) => {
    const header = request.headers.authorization;
    // A token verified before, in the usual header form, is known without parsing the header
    // again or waiting for a promise: every cached token came through readBearerToken, so the
    // answer is the one the full path would give.
    const known = header?.startsWith(BEARER_PREFIX)
      ? verifier.cached(header.slice(BEARER_PREFIX.length))
      : undefined;
    if (known) {
      request.principal = known;
      done();
      return;
    }
    let token: string;
    try {
      token = readBearerToken(header);
    } catch (error) {
      done(error as Error);
      return;
    }
    verifier.verify(token).then((principal) => {
      request.principal = principal;
      done();
    }, done);
  });
}
