/**
 * Connection-level client errors (malformed request line or headers, a body shorter than its
 * Content-Length, a request timeout) never reach a route; Node reports them on the socket.
 * They still get Graph's error body and request ids.
 */
import type { Socket } from "node:net";
import { owedResponse } from "./in-flight.ts";
import { newRequestId } from "./request-context.ts";

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Junk after a complete request: the request that was read still gets its own answer (the
  // client must learn whether its upload was stored), then the connection closes.
  const owed = owedResponse(socket);
  if (owed?.req.complete) {
    owed.shouldKeepAlive = false;
    return;
  }
  const timeout = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const status = timeout ? 408 : tooLarge ? 431 : 400;
  const reason = timeout
    ? "Request Timeout"
    : tooLarge
      ? "Request Header Fields Too Large"
      : "Bad Request";
  const requestId = newRequestId();
  const body = JSON.stringify({
    error: {
      code: "BadRequest",
      message: timeout
        ? "The request was not received in time."
        : tooLarge
          ? "The request headers are too large."
          : "The request could not be read.",
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        "request-id": requestId,
        "client-request-id": requestId,
      },
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nrequest-id: ${requestId}\r\n` +
      `client-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
