/**
 * Runs the load generator (autocannon in `load-runner.ts`, or wrk in `wrk.ts`) in its own process
 * against one server: a warm-up run, then the measured run, with the CPU time the server's
 * processes spent during the measured run.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./portrait.ts";
import { cpuSecondsOf } from "./processes.ts";
import { runWrk, WRK_INSTALL_HINT, wrkVersion } from "./wrk.ts";

export type Generator = "autocannon" | "wrk";

export interface LoadSettings {
  generator: Generator;
  connections: number;
  pipelining: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface RunnerSpec {
  url: string;
  connections: number;
  pipelining: number;
  seconds: number;
  requests: { path: string; headers: Record<string, string> }[];
}

export interface RunnerResult {
  /** 2xx responses per second. */
  requestsPerSecond: number;
  /** Latency percentiles of 2xx responses, milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerSecond: number;
  seconds: number;
}

export interface LoadResult extends RunnerResult {
  /**
   * CPU time (user + system) the server's processes spent per 2xx response, microseconds: far
   * less sensitive to a busy machine than throughput. Undefined when the pid is not known.
   */
  cpuMicrosPerRequest: number | undefined;
}

/** The load generator as the benchmarks print it. */
export function describeGenerator(generator: Generator): string {
  return generator === "wrk"
    ? `${wrkVersion() ?? "wrk"} (Lua script, separate process, 1 thread)`
    : "autocannon 9 (programmatic API, separate process, 1 thread)";
}

/** The generator named by `--generator`; exits with a message when it is unknown or absent. */
export function readGenerator(name: string): Generator {
  if (name !== "autocannon" && name !== "wrk") {
    console.error(`--generator must be autocannon or wrk (got ${name})`);
    process.exit(2);
  }
  if (name === "wrk" && wrkVersion() === undefined) {
    console.error(WRK_INSTALL_HINT);
    process.exit(1);
  }
  return name;
}

export function describeLoad(settings: LoadSettings): string {
  return (
    `${settings.connections} connections, pipelining ${settings.pipelining}, ` +
    `${settings.warmupSeconds} s warm-up then ${settings.durationSeconds} s measured`
  );
}

async function runOnce(
  generator: Generator,
  spec: RunnerSpec,
  workDir: string,
): Promise<RunnerResult> {
  if (generator === "wrk") return runWrk(spec, workDir);
  const specFile = join(workDir, `load-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(specFile, JSON.stringify(spec));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench/lib/load-runner.ts"), specFile],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as RunnerResult;
}

/** Warm-up, then the measured run; `serverPid` (and its children) are charged the CPU time. */
export async function runLoad(
  url: string,
  requests: RunnerSpec["requests"],
  settings: LoadSettings,
  workDir: string,
  serverPid?: number,
): Promise<LoadResult> {
  const base = {
    url,
    requests,
    connections: settings.connections,
    pipelining: settings.pipelining,
  };
  if (settings.warmupSeconds > 0)
    await runOnce(settings.generator, { ...base, seconds: settings.warmupSeconds }, workDir);
  const before = serverPid === undefined ? 0 : cpuSecondsOf(serverPid);
  const result = await runOnce(
    settings.generator,
    { ...base, seconds: settings.durationSeconds },
    workDir,
  );
  const spent = serverPid === undefined ? 0 : cpuSecondsOf(serverPid) - before;
  return {
    ...result,
    cpuMicrosPerRequest:
      serverPid === undefined || result.ok === 0 ? undefined : (spent * 1e6) / result.ok,
  };
}
