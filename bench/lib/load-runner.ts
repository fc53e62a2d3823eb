/**
 * The load generator, run as its own process by `load.ts`: autocannon's programmatic API for
 * `seconds`. Each connection cycles through the request list from its own offset (prebuilt
 * request buffers, so the generator spends its CPU on sending, not on building requests).
 * Throughput counts 2xx responses from the first answered request to the last, so the
 * generator's set-up time (building the buffers) is not counted. Latency percentiles come from
 * every response's own time (sub-millisecond), not from autocannon's millisecond histogram.
 * Prints one JSON line (`RunnerResult`).
 *
 *   node --import tsx bench/lib/load-runner.ts SPEC.json
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import autocannon from "autocannon";
import type { RunnerResult, RunnerSpec } from "./load.ts";

// autocannon appends every response body to a string (`body += chunk`), UTF-8 decoding binary
// JPEG bytes: at 88 KB per response that made the generator, not the server, the bottleneck
// (about 80 responses per second from a bare node:http server). Bodies are not checked during
// the load (the benchmark compares them byte for byte beforehand), so they are not kept.
const queue = createRequire(import.meta.url)("autocannon/lib/pipelinedRequestsQueue.js") as {
  prototype: { addBody(data: Buffer): void };
};
queue.prototype.addBody = () => {};

const spec = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as RunnerSpec;

interface Request {
  method: "GET";
  path: string;
  headers: Record<string, string>;
}

// autocannon's own types do not describe setupClient's client; this is all it is used for.
interface Client {
  setRequests(requests: Request[]): void;
}

const requests: Request[] = spec.requests.map((request) => ({
  method: "GET",
  path: request.path,
  headers: request.headers,
}));

let connection = 0;
const latencies: number[] = [];
let first = 0;
let last = 0;
let bytes = 0;

const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  pipelining: spec.pipelining,
  duration: spec.seconds,
  timeout: 10,
  requests: [requests[0] as Request],
  setupClient: (client: Client) => {
    const offset = Math.floor((connection++ * requests.length) / spec.connections);
    client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
  },
});
instance.on("response", (_client, statusCode, responseBytes, responseTime) => {
  if (statusCode < 200 || statusCode >= 300) return;
  last = performance.now();
  if (latencies.length === 0) first = last - responseTime;
  latencies.push(responseTime);
  bytes += responseBytes;
});
const result = await instance;

latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const seconds = (last - first) / 1000;
const output: RunnerResult = {
  requestsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
  p50: at(0.5),
  p99: at(0.99),
  p999: at(0.999),
  max: latencies.at(-1) ?? 0,
  ok: latencies.length,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  bytesPerSecond: seconds > 0 ? bytes / seconds : 0,
  seconds,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
