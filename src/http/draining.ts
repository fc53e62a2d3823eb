/**
 * Shutdown as clients see it: from the moment the app starts closing, a request that still
 * arrives (pipelined, or on a keep-alive connection that was busy) gets 503
 * `serviceNotAvailable` in Graph's shape, with `Retry-After`, and its connection is closed
 * (`error-renderer.ts`), so that the client retries on another instance. Requests already
 * in flight finish.
 */
import type { FastifyInstance } from "fastify";
import { GraphError } from "../errors.ts";

export interface Draining {
  /** True once the app has started closing. */
  readonly active: boolean;
}

export function registerDraining(app: FastifyInstance): Draining {
  const state = { active: false };
  app.addHook("preClose", (done) => {
    state.active = true;
    done();
  });
  app.addHook("onRequest", (_request, _reply, done) => {
    if (!state.active) {
      done();
      return;
    }
    done(new GraphError("serviceNotAvailable", "The service is shutting down.", { retryAfter: 1 }));
  });
  return state;
}
