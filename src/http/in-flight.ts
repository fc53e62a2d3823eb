/**
 * Which response each connection owes, for the two things that act on a connection rather than
 * on a request: a client error arriving after a complete request (`client-error.ts`) and
 * shutdown (`main.ts`). A request costs one `WeakMap` write; the set of a server's connections
 * changes only when a connection opens or closes.
 */
import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The latest response of each connection (answered or not). */
const latest = new WeakMap<Socket, ServerResponse>();
/** Each tracked server's connections that have carried a request and are still open. */
const connections = new WeakMap<Server, Set<Socket>>();

export function trackResponses(server: Server): void {
  const open = new Set<Socket>();
  connections.set(server, open);
  server.on("request", (request, response: ServerResponse) => {
    const socket = request.socket;
    if (!latest.has(socket)) {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
    }
    latest.set(socket, response);
  });
}

/** The response this connection still owes: its latest, when not yet fully written. */
export function owedResponse(socket: Socket): ServerResponse | undefined {
  const response = latest.get(socket);
  return response && !response.writableEnded ? response : undefined;
}

/** The responses of `server` whose headers are not yet sent, one per connection at most. */
export function unsentResponses(server: Server): ServerResponse[] {
  const unsent: ServerResponse[] = [];
  for (const socket of connections.get(server) ?? []) {
    const response = latest.get(socket);
    if (response && !response.headersSent) unsent.push(response);
  }
  return unsent;
}
