/**
 * A TCP proxy on 127.0.0.1 in front of a server, that a test can cut and restore: `stop()`
 * closes every proxied connection and stops listening (new connections are refused), `start()`
 * listens again on the same port. It makes the database unreachable for one store or service
 * without touching the database server.
 */
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Rewrites a URL's host and port to this proxy's. */
  url(target: string): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const next = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    next.listen(port, "127.0.0.1");
    await once(next, "listening");
    const address = next.address();
    if (address === null || typeof address === "string") throw new Error("no proxy address");
    port = address.port;
    server = next;
  };

  const stop = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    url(targetUrl: string) {
      const url = new URL(targetUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    async start() {
      if (!server) await listen();
    },
    stop,
    close: stop,
  };
}
