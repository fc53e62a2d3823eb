/**
 * Several server processes on one port (WORKERS > 1), with Node's cluster module. The primary
 * serves nothing: it forks the workers, passes SIGTERM/SIGINT on to them, replaces a worker that
 * dies while serving, and exits once they have all stopped. Each worker is a whole Portrait
 * (its own store connection, caches and image queue); the primary hands each new connection to
 * the next worker in turn. Both stores are safe to share between processes.
 */
import cluster, { type Worker } from "node:cluster";

export interface PrimaryOptions {
  workers: number;
  /** Workers have this long to stop after a signal (their own grace period, plus a margin). */
  shutdownGraceMs: number;
}

/** A worker that dies sooner than this after starting failed to start: nothing is replaced. */
const STARTUP_MS = 10_000;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Runs the primary: forks `workers` copies of this program (same entry point and arguments). */
export function runPrimary(options: PrimaryOptions): void {
  const started = new Map<Worker, number>();
  let stopping = false;
  let failed = false;

  const fork = () => started.set(cluster.fork(), Date.now());
  for (let i = 0; i < options.workers; i++) fork();
  log(30, `Started ${options.workers} worker processes`);

  cluster.on("exit", (worker, code, signal) => {
    const since = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (!stopping) {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (since < STARTUP_MS) {
        // A worker that cannot start (port taken, store unreachable) would fail again: stop.
        log(50, `Worker ${worker.process.pid} failed to start (${how}); stopping`);
        failed = true;
        stop("SIGTERM");
      } else {
        log(50, `Worker ${worker.process.pid} died (${how}); starting another`);
        fork();
      }
    } else if (code !== 0) {
      failed = true;
    }
    if (stopping && started.size === 0) process.exit(failed ? 1 : 0);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of started.keys()) worker.process.kill(signal);
    const timer = setTimeout(() => {
      log(50, "Workers did not stop in time");
      for (const worker of started.keys()) worker.process.kill("SIGKILL");
      process.exit(1);
    }, options.shutdownGraceMs + 5_000);
    timer.unref();
    if (started.size === 0) process.exit(failed ? 1 : 0);
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

/** One JSON line on stderr in the service log's shape (pino levels: 30 info, 50 error). */
function log(level: number, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, msg })}\n`);
}
