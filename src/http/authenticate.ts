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

export function registerAuthentication(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest("principal", undefined as unknown as Principal);
  app.addHook("onRequest", async (request) => {
    const token = readBearerToken(request.headers.authorization);
    request.principal = await verifier.verify(token);
  });
}
