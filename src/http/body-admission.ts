/**
 * A bound on the large request bodies held at once: photo uploads (up to `MAX_UPLOAD_BYTES`
 * each) and `$batch` requests (which may carry one). Each such request is admitted before its
 * body is read and counted until its answer is done or its connection closes; one arriving
 * when every place is taken gets 503 with `Retry-After` at once, and its body is never
 * buffered. Without this bound, clients that send a body slowly, or not at all, could make the
 * process hold any number of them until `REQUEST_TIMEOUT_MS` (docs/security.md).
 */
import type { FastifyReply, FastifyRequest, RequestPayload } from "fastify";
import { GraphError } from "../errors.ts";

/**
 * The remote address `$batch` gives the requests it runs: their bodies came within the batch's
 * own, admitted already, so they are not counted again. No socket has this address, so no
 * client can claim it.
 */
export const BATCH_STEP_ADDRESS = "batch-step";

export interface BodyAdmission {
  /** A `preParsing` route hook: admits the request, or refuses it, before its body is read. */
  admit(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: RequestPayload,
    done: (error: Error | null, payload?: RequestPayload) => void,
  ): void;
  /** Requests admitted and not yet answered. */
  inFlight(): number;
}

export function createBodyAdmission(capacity: number): BodyAdmission {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }
  let inFlight = 0;
  return {
    admit(request, reply, payload, done) {
      if (request.raw.socket?.remoteAddress === BATCH_STEP_ADDRESS) {
        done(null, payload);
        return;
      }
      if (inFlight >= capacity) {
        done(
          new GraphError(
            "serviceNotAvailable",
            "Too many uploads are in progress. Retry in a moment.",
            { retryAfter: 1 },
          ),
        );
        return;
      }
      inFlight++;
      // A response closes once, when it is sent or its connection ends before that.
      reply.raw.once("close", () => {
        inFlight--;
      });
      done(null, payload);
    },
    inFlight: () => inFlight,
  };
}
