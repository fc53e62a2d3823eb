/**
 * Builds the Fastify application from its parts. Never listens: `main.ts` does that, tests use
 * `inject()` or listen on port 0 themselves.
 */
import type { RequestListener } from "node:http";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import type { TokenVerifier } from "./auth/verify-token.ts";
import type { Config } from "./config.ts";
import { createContactDirectory } from "./directory/contacts.ts";
import { createGroupDirectory } from "./directory/groups.ts";
import { createUserDirectory } from "./directory/users.ts";
import { accessLine, registerAccessLog } from "./http/access-log.ts";
import { registerAuthentication } from "./http/authenticate.ts";
import { batchRoutes } from "./http/batch-routes.ts";
import { createBodyAdmission } from "./http/body-admission.ts";
import { clientErrorHandler } from "./http/client-error.ts";
import { registerCors } from "./http/cors.ts";
import { directoryRoutes } from "./http/directory-routes.ts";
import { registerDraining } from "./http/draining.ts";
import { frameworkErrorHandler, registerErrorRenderer } from "./http/error-renderer.ts";
import { installFastRead } from "./http/fast-read.ts";
import { healthRoutes } from "./http/health-routes.ts";
import { registerHostCheck } from "./http/host-header.ts";
import { trackResponses } from "./http/in-flight.ts";
import { rewriteKeySyntax } from "./http/key-syntax.ts";
import { createMetrics, registerMetrics } from "./http/metrics.ts";
import { registerNotFound } from "./http/not-found.ts";
import { MAX_PARAM_LENGTH } from "./http/owner-routes.ts";
import { photoCacheControl, photoRoutes } from "./http/photo-routes.ts";
import { createRateLimiter, registerRateLimit } from "./http/rate-limit.ts";
import { newRequestId, registerRequestContext } from "./http/request-context.ts";
import { createNodeServer } from "./http/server-limits.ts";
import { type WellKnownOptions, wellKnownRoutes } from "./http/well-known-routes.ts";
import { createByteCache } from "./photos/byte-cache.ts";
import { createPhotoService, type ImageNormalizer } from "./photos/photo-service.ts";
import type { Store } from "./photos/store.ts";

export interface AppParts {
  config: Readonly<Config>;
  store: Store;
  images: ImageNormalizer & { stats(): { active: number; queued: number } };
  verifier: TokenVerifier;
  /** Present when the development issuer is in use: its discovery document and keys. */
  wellKnown?: WellKnownOptions | undefined;
  /** Certificate and key, read by the caller, to serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Fastify logger setting; defaults to JSON logs at the configured level. */
  logger?: FastifyServerOptions["logger"];
}

export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const { config, store, images, verifier } = parts;
  const photos = createPhotoService({
    store,
    images,
    ...(config.photoCacheBytes > 0 && {
      cache: createByteCache({ maxBytes: config.photoCacheBytes }),
    }),
  });
  /** Fastify's listener on the server it asked `serverFactory` for. */
  let fastifyListener: RequestListener | undefined;
  const app = Fastify({
    logger: parts.logger ?? { level: config.logLevel },
    // Fastify's two lines per request are off; http/access-log.ts writes one.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: newRequestId,
    requestIdHeader: false,
    // Requests arriving during shutdown get Graph's 503 (http/draining.ts), not Fastify's.
    return503OnClosing: false,
    routerOptions: {
      caseSensitive: false,
      ignoreDuplicateSlashes: false,
      maxParamLength: MAX_PARAM_LENGTH,
    },
    // A URL the router cannot read gets Graph's 400, not Fastify's own body.
    frameworkErrors: frameworkErrorHandler,
    // `$value` and `$select` may arrive percent-encoded; route on their literal form. A key may
    // be given as `users('key')` (http/key-syntax.ts).
    rewriteUrl: (request) => {
      const url = rewriteKeySyntax(request.url ?? "/");
      return url.includes("%") ? url.replace(/%24/gi, "$") : url;
    },
    bodyLimit: config.maxUploadBytes,
    clientErrorHandler,
    // The Node server, made as Fastify would make it, with the limits that keep slow or stalled
    // clients from holding connections or memory; HTTPS when configured (the official JavaScript
    // SDK sends tokens to https hosts only). Its listener is Fastify's, later put behind the
    // photo read fast path.
    serverFactory: (listener) => {
      fastifyListener = listener;
      return createNodeServer(listener, config.server, parts.tls);
    },
  }) as FastifyInstance;
  trackResponses(app.server);

  registerRequestContext(app);
  registerHostCheck(app);
  registerCors(app);
  const draining = registerDraining(app);
  registerAccessLog(app);
  registerErrorRenderer(app);
  const bodies = createBodyAdmission(config.imageConcurrency + config.imageQueueLimit);
  const metrics = createMetrics({
    images: () => images.stats(),
    bodiesInFlight: () => bodies.inFlight(),
    photoCache: () => photos.cacheStats(),
  });
  registerMetrics(app, metrics);

  await app.register(healthRoutes, { store, metrics });
  if (parts.wellKnown) await app.register(wellKnownRoutes, parts.wellKnown);

  const users = createUserDirectory(store);
  const groups = createGroupDirectory(store);
  const contacts = createContactDirectory(store);
  const rateLimiter = createRateLimiter({
    limit: config.rateLimitRequests,
    windowSeconds: config.rateLimitWindowSeconds,
  });

  if (!fastifyListener) throw new Error("Fastify did not ask for its server");
  installFastRead(app.server, fastifyListener, {
    verifier,
    store,
    photos,
    rateLimiter,
    cacheControl: photoCacheControl(config.photoMaxAgeSeconds),
    metrics,
    accessLine: accessLine(app.log),
    draining,
    publicUrl: config.publicUrl,
  });

  for (const prefix of ["/v1.0", "/beta"]) {
    await app.register(
      async (graph) => {
        registerAuthentication(graph, verifier);
        registerRateLimit(graph, rateLimiter);
        registerNotFound(graph);
        await graph.register(photoRoutes, {
          store,
          photos,
          publicUrl: config.publicUrl,
          maxUploadBytes: config.maxUploadBytes,
          photoMaxAgeSeconds: config.photoMaxAgeSeconds,
          bodies,
        });
        await graph.register(directoryRoutes, {
          users,
          groups,
          contacts,
          publicUrl: config.publicUrl,
        });
        await graph.register(batchRoutes, {
          inject: (options) => app.inject(options),
          maxUploadBytes: config.maxUploadBytes,
          bodies,
        });
      },
      { prefix },
    );
  }
  registerNotFound(app);
  return app;
}
