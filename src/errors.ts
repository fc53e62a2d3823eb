/**
 * The one error type of Portrait and the one table of Graph error codes.
 * Every layer throws `GraphError`; `src/http/error-renderer.ts` renders it in Graph's shape.
 */

export const GRAPH_ERRORS = {
  InvalidAuthenticationToken: { status: 401, message: "Access token is empty or invalid." },
  ErrorAccessDenied: { status: 403, message: "Access is denied. Check credentials and try again." },
  BadRequest: { status: 400, message: "Invalid request." },
  Request_BadRequest: { status: 400, message: "Invalid request." },
  MethodNotAllowed: {
    status: 405,
    message: "Specified HTTP method is not allowed for the request target.",
  },
  Request_ResourceNotFound: { status: 404, message: "Resource does not exist." },
  ErrorItemNotFound: { status: 404, message: "The specified object was not found in the store." },
  ImageNotFound: { status: 404, message: "The photo wasn't found." },
  RequestEntityTooLarge: { status: 413, message: "The request body is larger than 4 MB." },
  UnsupportedMediaType: { status: 415, message: "The image format is not supported." },
  InvalidImage: { status: 400, message: "The body is not a readable image." },
  ValidationWidthTooSmall: { status: 400, message: "The image is narrower than 48 pixels." },
  ValidationHeightTooSmall: { status: 400, message: "The image is shorter than 48 pixels." },
  ImageDimensionsTooLarge: { status: 400, message: "The image has more pixels than allowed." },
  resourceModified: {
    status: 412,
    message: "The resource has been modified since it was read (If-Match failed).",
  },
  FailedDependency: {
    status: 424,
    message: "The request was not run: a request of the batch it depends on failed.",
  },
  TooManyRequests: { status: 429, message: "Too many requests. Retry later." },
  serviceNotAvailable: { status: 503, message: "The service is temporarily unavailable." },
  generalException: { status: 500, message: "An unexpected error occurred." },
} as const satisfies Record<string, { status: number; message: string }>;

export type GraphErrorCode = keyof typeof GRAPH_ERRORS;

export interface GraphErrorOptions {
  /** Seconds for the `Retry-After` header (429, 503). */
  retryAfter?: number;
  /** The underlying error, kept for the log only; never shown to the client. */
  cause?: unknown;
}

/**
 * A failure with a Graph error code. `status` comes from the table above, so a code can
 * never be rendered with the wrong status. `code` 405 renders as Graph's `Request_BadRequest`.
 */
export class GraphError extends Error {
  readonly code: GraphErrorCode;
  readonly status: number;
  readonly retryAfter: number | undefined;

  constructor(code: GraphErrorCode, message?: string, options: GraphErrorOptions = {}) {
    super(message ?? GRAPH_ERRORS[code].message, { cause: options.cause });
    this.name = "GraphError";
    this.code = code;
    this.status = GRAPH_ERRORS[code].status;
    this.retryAfter = options.retryAfter;
  }

  /** The code as Graph writes it on the wire. */
  get wireCode(): string {
    return this.code === "MethodNotAllowed" ? "Request_BadRequest" : this.code;
  }
}

export function isGraphError(value: unknown): value is GraphError {
  return value instanceof GraphError;
}
