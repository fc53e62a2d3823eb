/**
 * A small closed-loop HTTP load generator: `connections` keep-alive connections spread evenly
 * over the targets, each sending one GET after another for a fixed duration. It reports
 * throughput and latency percentiles of the responses, and counts anything but 200 as an error.
 */
import { Agent, request } from "node:http";

export interface LoadOptions {
  /** Base URLs (`http://127.0.0.1:8080`); connection i goes to target i mod n. */
  targets: readonly string[];
  /** The path of the next request (called once per request). */
  nextPath: () => string;
  headers: Record<string, string>;
  connections: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Status codes other than 200, and transport errors, with their counts. */
  failures: Record<string, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const perTarget = Math.ceil(options.connections / options.targets.length);
  const agents = options.targets.map(
    () => new Agent({ keepAlive: true, maxSockets: perTarget, maxFreeSockets: perTarget }),
  );
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const once = (target: string, agent: Agent): Promise<void> =>
    new Promise((resolve) => {
      const sent = performance.now();
      const finish = (outcome: string) => {
        requests++;
        if (outcome === "200") latencies.push(performance.now() - sent);
        else {
          errors++;
          failures[outcome] = (failures[outcome] ?? 0) + 1;
        }
        resolve();
      };
      const req = request(`${target}${options.nextPath()}`, { agent, headers: options.headers });
      req.on("response", (response) => {
        response.resume();
        response.on("end", () => finish(String(response.statusCode)));
        response.on("error", (error) => finish(error.message));
      });
      req.on("error", (error) => finish((error as NodeJS.ErrnoException).code ?? error.message));
      req.end();
    });

  const worker = async (index: number) => {
    const slot = index % options.targets.length;
    const target = options.targets[slot] as string;
    const agent = agents[slot] as Agent;
    while (performance.now() < deadline) await once(target, agent);
  };
  await Promise.all(Array.from({ length: options.connections }, (_, i) => worker(i)));
  const elapsedMs = performance.now() - started;
  for (const agent of agents) agent.destroy();

  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests,
    errors,
    failures,
    perSecond: ((requests - errors) * 1000) / elapsedMs,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? NaN,
  };
}
