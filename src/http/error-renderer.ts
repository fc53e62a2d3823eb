/**
 * The one place errors become responses: Graph's error body, status and headers.
 * Framework errors caused by the client (body too large, bad JSON, bad length, a URL the router
 * cannot read) are mapped to their Graph codes; anything unexpected is a 500 `generalException`
 * whose details only go to the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GraphError } from "../errors.ts";
import { clientRequestId, sendRequestIds } from "./request-context.ts";

type ErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

export function registerErrorRenderer(app: FastifyInstance) {
  app.setErrorHandler(errorHandler);
}

/**
 * For Fastify's `frameworkErrors`, which the router raises before a route is found (bad
 * percent-encoding, an overlong segment): no hook has run, so the request ids are set here.
 */
export const frameworkErrorHandler: ErrorHandler = (error, request, reply) => {
  sendRequestIds(request, reply);
  return errorHandler(error, request, reply);
};

const errorHandler: ErrorHandler = (error, request, reply) => {
  const graphError = toGraphError(error, request);
  if (graphError.code === "generalException") {
    request.log.error({ err: error }, "request failed");
  } else if (graphError.status >= 500) {
    // Expected refusals (busy, dependency down): no stack, one line.
    const cause = graphError.cause instanceof Error ? graphError.cause.message : undefined;
    request.log.warn({ code: graphError.code, cause }, graphError.message);
  } else {
    request.log.info({ code: graphError.code, status: graphError.status }, graphError.message);
  }
  return sendGraphError(request, reply, graphError);
};

export function sendGraphError(request: FastifyRequest, reply: FastifyReply, error: GraphError) {
  if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
  if (error.status === 401) {
    reply.header(
      "www-authenticate",
      `Bearer realm="", error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`,
    );
  }
  // A 503 sheds the connection once the request has been read. A body refused before it was
  // read (a full image queue, or a Content-Length over the limit) keeps it: closing with the
  // body still arriving would reset the connection under the client, whose write then fails
  // before it reads the answer (fetch and the Graph SDKs report "fetch failed", not the 413);
  // Node reads and discards the rest of the body instead, without keeping it. A body too large
  // to be worth reading (over `DISCARD_LIMIT`, or chunked, so of unknown length) closes it.
  if (error.code === "RequestEntityTooLarge" && declaredLength(request) <= DISCARD_LIMIT) {
    // Fastify asks to close after any body it could not take.
    reply.removeHeader("connection");
  } else if (
    error.code === "RequestEntityTooLarge" ||
    (error.status === 503 && request.raw.complete)
  ) {
    reply.header("connection", "close");
  }
  return reply
    .code(error.status)
    .type("application/json")
    .send(graphErrorBody(error, request.id, clientRequestId(request.headers, request.id)));
}

/** A refused body up to this many bytes is read and discarded rather than cut off. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/** The request's `Content-Length`; infinite when it has none (a chunked body). */
function declaredLength(request: FastifyRequest): number {
  const declared = request.headers["content-length"];
  return declared === undefined ? Number.POSITIVE_INFINITY : Number(declared);
}

/** Graph's error body; also what a batch answers for a request it did not run. */
export function graphErrorBody(error: GraphError, requestId: string, clientRequestId: string) {
  return {
    error: {
      code: error.wireCode,
      message: error.message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        "request-id": requestId,
        "client-request-id": clientRequestId,
      },
    },
  };
}

function toGraphError(error: unknown, request: FastifyRequest): GraphError {
  if (error instanceof GraphError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      // The limit of this route: photo bytes, a directory object's JSON or a batch.
      return new GraphError(
        "RequestEntityTooLarge",
        `The request body is larger than ${request.routeOptions.bodyLimit} bytes.`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new GraphError("BadRequest", "The request body must be JSON (application/json).");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new GraphError("BadRequest", "The request body is empty; a JSON object is required.");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new GraphError("BadRequest", "The body length does not match Content-Length.");
    case "FST_ERR_BAD_URL":
      return new GraphError("BadRequest", "The URL is not valid (bad percent-encoding).");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new GraphError("BadRequest", "A segment of the URL is too long.");
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Malformed JSON, aborted bodies, bad headers and other client faults.
    return new GraphError("BadRequest", fastifyError.message || "Invalid request.");
  }
  return new GraphError("generalException", "An unexpected error occurred.", { cause: error });
}
