/** The development issuer's OpenID discovery document and key set (only when it is in use). */
import type { FastifyInstance } from "fastify";

export interface WellKnownOptions {
  discoveryDocument: () => object;
  jwks: object;
}

export async function wellKnownRoutes(app: FastifyInstance, options: WellKnownOptions) {
  app.get("/.well-known/openid-configuration", async () => options.discoveryDocument());
  app.get("/.well-known/jwks.json", async () => options.jwks);
}
