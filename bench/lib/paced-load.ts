/**
 * Load-generation pieces for the benchmarks, on `node:http` keep-alive agents only: one timed
 * request, a reader at a fixed request rate (open loop, bounded in flight), and percentiles.
 */
import { type Agent, request } from "node:http";
import { setTimeout as delay } from "node:timers/promises";

export interface Timed {
  status: number;
  /** From the request's start until its response's last byte. */
  ms: number;
  body: Buffer;
  /** The `Retry-After` header in seconds, when the response had one. */
  retryAfter?: number;
}

export interface Target {
  agent: Agent;
  port: number;
}

/** One request to 127.0.0.1; rejects on network errors and after two minutes. */
export function send(
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Timed> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { agent: target.agent, host: "127.0.0.1", port: target.port, method, path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const retryAfter = Number(response.headers["retry-after"]);
          resolve({
            status: response.statusCode ?? 0,
            ms: performance.now() - started,
            body: Buffer.concat(chunks),
            ...(retryAfter > 0 && { retryAfter }),
          });
        });
      },
    );
    outgoing.setTimeout(120_000, () => outgoing.destroy(new Error(`${method} ${path}: timed out`)));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

export interface PacedResult {
  /** Latencies of the 200 responses, in milliseconds. */
  latencies: number[];
  /** Responses other than 200, and network errors. */
  failures: number;
  /** Requests not sent because `maxInFlight` were still outstanding. */
  skipped: number;
}

/**
 * GETs `path` `rate` times a second while `running()` holds, whatever the server's latency (so
 * a slow server does not slow the load down), with at most `maxInFlight` outstanding.
 */
export async function pacedGets(
  target: Target,
  path: string,
  headers: Record<string, string>,
  rate: number,
  running: () => boolean,
  maxInFlight = 64,
): Promise<PacedResult> {
  const result: PacedResult = { latencies: [], failures: 0, skipped: 0 };
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / rate;
  let next = performance.now();
  while (running()) {
    const wait = next - performance.now();
    if (wait > 0) {
      await delay(wait);
      continue;
    }
    next += interval;
    if (inFlight.size >= maxInFlight) {
      result.skipped++;
      continue;
    }
    const one: Promise<void> = send(target, "GET", path, headers)
      .then(
        (response) => {
          if (response.status === 200) result.latencies.push(response.ms);
          else result.failures++;
        },
        () => {
          result.failures++;
        },
      )
      .finally(() => inFlight.delete(one));
    inFlight.add(one);
  }
  await Promise.all(inFlight);
  return result;
}

/** The nearest-rank percentile `p` (0-100) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** `n`, p50, p90, p99 and max of latencies in milliseconds, on one line. */
export function summary(samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => percentile(sorted, p).toFixed(1);
  return `n=${sorted.length} p50=${at(50)} p90=${at(90)} p99=${at(99)} max=${at(100)} ms`;
}

export function p99(samples: readonly number[]): number {
  return percentile(
    [...samples].sort((a, b) => a - b),
    99,
  );
}
