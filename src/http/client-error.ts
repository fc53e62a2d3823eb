/**
 * Connection-level client errors (malformed request line or headers, a body shorter than its
 * Content-Length, a request timeout) never reach a route; Node reports them on the socket.
 * They still get Graph's error body and request ids.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { newRequestId } from "./request-context.ts";

/** The request still being answered on a connection, if any. */
const pending = new WeakMap<Socket, { request: IncomingMessage; response: ServerResponse }>();

/** Lets the handler below know which connections still owe an answer. */
export function trackPendingResponses(server: Server): void {
  server.on("request", (request, response: ServerResponse) => {
    const socket = request.socket;
    pending.set(socket, { request, response });
    response.once("close", () => {
      if (pending.get(socket)?.response === response) pending.delete(socket);
    });
  });
}

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Junk after a complete request: the request that was read still gets its own answer (the
  // client must learn whether its upload was stored), then the connection closes.
  const owed = pending.get(socket);
  if (owed?.request.complete && !owed.response.writableEnded) {
    owed.response.shouldKeepAlive = false;
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
