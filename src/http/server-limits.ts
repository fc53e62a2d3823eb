/**
 * The Node server's timeouts and connection cap, from the configuration, so that slow or idle
 * clients cannot hold connections:
 * - headers not complete `headersTimeoutMs` after a request's first byte (slowloris, or a
 *   connection that sends nothing): 408 and the connection is closed;
 * - body not complete `requestTimeoutMs` after the first byte (a trickling upload): likewise;
 * - an idle keep-alive connection is closed after `keepAliveTimeoutMs`;
 * - a connection with no bytes moving either way (a client that stops reading) is closed after
 *   `socketTimeoutMs`;
 * - beyond `maxConnections` (when set) new connections are closed at once.
 * The 408 itself is written by `client-error.ts`.
 *
 * Two HTTP/1.1 rules Node would answer itself, with a bare body, go to the app instead: a
 * request without `Host` gets Graph's 400 (`host-header.ts`), and an `Expect` other than
 * `100-continue` is ignored and the request answered, which RFC 9110 allows in place of 417.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Config } from "../config.ts";

export type ServerLimits = Config["server"];

/** Node's own options for the server it creates (the same for HTTP and HTTPS). */
interface NodeServerTimeouts {
  requireHostHeader: false;
  headersTimeout: number;
  requestTimeout: number;
  /** How often Node checks the two timeouts above; its default (30 s) would let them overrun. */
  connectionsCheckingInterval: number;
}

/**
 * The Node server for Fastify's `serverFactory`, set up as Fastify sets up its own (Node's
 * options, then the keep-alive and socket timeouts), plus the connection cap.
 */
export function createNodeServer(
  listener: RequestListener,
  limits: ServerLimits,
  tls?: { cert: Buffer; key: Buffer } | undefined,
): Server {
  const node: NodeServerTimeouts = {
    requireHostHeader: false,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: checkingInterval(limits),
  };
  const server = tls
    ? createHttpsServer({ ...tls, ...node }, listener)
    : createHttpServer(node, listener);
  // Node 20 takes no keepAliveTimeout option; its default (5 s) would apply.
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.socketTimeoutMs);
  server.on("checkExpectation", (request, response) => server.emit("request", request, response));
  capConnections(server, limits);
  return server;
}

/** Caps open connections when `maxConnections` is set (Node closes the ones beyond it). */
function capConnections(server: Server, limits: ServerLimits): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
}

/** A quarter of the shorter timeout, between 50 ms and 1 s: timeouts overrun by at most that. */
function checkingInterval(limits: ServerLimits): number {
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return Math.min(1000, Math.max(50, Math.floor(shorter / 4)));
}
