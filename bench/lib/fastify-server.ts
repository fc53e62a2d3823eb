/**
 * The framework floor, run as its own process: Fastify (as Portrait configures it, minus
 * everything Portrait adds) answering every file under `--root` from memory by exact path. The
 * gap between this and the bare node:http server is what Fastify itself costs; the gap between
 * this and Portrait is what Portrait's own work costs.
 *
 *   node --import tsx bench/lib/fastify-server.ts --root DIR --port N --type CONTENT-TYPE
 */
import { parseArgs } from "node:util";
import Fastify from "fastify";
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
if (!root || !Number.isInteger(port)) {
  console.error("usage: fastify-server.ts --root DIR --port N [--type T]");
  process.exit(2);
}

const responses = readTree(root);

const app = Fastify({ logger: false });
app.get("/*", (request, reply) => {
  const found = responses.get(request.url);
  if (!found) return reply.code(404).send();
  return reply
    .header("etag", found.etag)
    .header("cache-control", "private, no-cache")
    .header("x-content-type-options", "nosniff")
    .type(values.type)
    .send(found.body);
});
await app.listen({ port, host: "127.0.0.1" });
process.on("SIGTERM", () => process.exit(0));
