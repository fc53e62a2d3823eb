/**
 * The bare node:http baseline, run as its own process: every file under `--root` is read into
 * memory at start and served by exact path, with precomputed headers, and nothing else (no
 * routing library, no authentication, no logging). The ceiling for a Node.js server on this
 * machine. With `--workers N` (N > 1) it runs N cluster workers sharing the port.
 *
 *   node --import tsx bench/lib/bare-server.ts --root DIR --port N --type CONTENT-TYPE [--workers N]
 */
import cluster from "node:cluster";
import { createServer, type OutgoingHttpHeaders } from "node:http";
import { parseArgs } from "node:util";
import { readTree } from "./static-tree.ts";

const { values } = parseArgs({
  options: {
    root: { type: "string" },
    port: { type: "string" },
    type: { type: "string", default: "application/octet-stream" },
    workers: { type: "string", default: "1" },
  },
});
const root = values.root;
const port = Number(values.port);
const workers = Number(values.workers);
if (!root || !Number.isInteger(port)) {
  console.error("usage: bare-server.ts --root DIR --port N [--type T] [--workers N]");
  process.exit(2);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const responses = new Map<string, { body: Buffer; headers: OutgoingHttpHeaders }>();
  for (const [path, { body, etag }] of readTree(root)) {
    responses.set(path, {
      body,
      headers: {
        "content-type": values.type,
        "content-length": body.length,
        etag,
        "cache-control": "private, no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  }
  const server = createServer((request, response) => {
    const found = responses.get(request.url ?? "");
    if (!found) {
      response.writeHead(404, { "content-length": 0 }).end();
      return;
    }
    response.writeHead(200, found.headers).end(found.body);
  });
  server.keepAliveTimeout = 72_000;
  server.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
}
