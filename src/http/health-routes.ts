/** Public operational endpoints: liveness, readiness and Prometheus metrics. No token needed. */
import type { FastifyInstance } from "fastify";
import { GraphError } from "../errors.ts";
import type { Store } from "../photos/store.ts";
import type { Metrics } from "./metrics.ts";

export interface HealthRouteOptions {
  store: Store;
  metrics: Metrics;
}

export async function healthRoutes(app: FastifyInstance, options: HealthRouteOptions) {
  const { store, metrics } = options;

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async () => {
    try {
      await store.ping();
    } catch (error) {
      throw new GraphError("serviceNotAvailable", `The ${store.kind} store is not reachable.`, {
        retryAfter: 5,
        cause: error,
      });
    }
    return { status: "ready", store: store.kind };
  });

  app.get("/metrics", async (_request, reply) =>
    reply.type("text/plain; version=0.0.4").send(metrics.render()),
  );
}
