/**
 * Child processes of a benchmark: every one is tracked and stopped when the script ends, however
 * it ends (normal exit, error, Ctrl-C). Also free ports, readiness polling and resident memory.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const running = new Set<ChildProcess>();

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Where stdout and stderr go. */
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a process with stdout and stderr appended to `logFile`. */
export function startProcess(
  command: string,
  args: string[],
  logFile: string,
  options: SpawnOptions = {},
): Started {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { ...options, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  return {
    child,
    pid: child.pid,
    logFile,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops every process still running (used on exit and on signals). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

let installed = false;

/** Makes sure no child outlives the script. Call once, first thing. */
export function stopChildrenOnExit(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; throws with the log's tail when `started` exits or time is up. */
export async function waitForHttp(
  url: string,
  started: Started,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) break;
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`${url} did not become ready; log ${started.logFile}:\n${tail(started.logFile)}`);
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Highest resident set size since the process started (VmHWM), bytes. */
  peak: number;
}

/** Resident memory of a process and, summed, of all its descendants (cluster workers). */
export function memoryOf(pid: number): Memory {
  let rss = 0;
  let peak = 0;
  for (const each of [pid, ...descendants(pid)]) {
    const status = readProc(`/proc/${each}/status`);
    rss += kbField(status, "VmRSS") * 1024;
    peak += kbField(status, "VmHWM") * 1024;
  }
  return { rss, peak };
}

/** CPU time (user + system) of a process and its descendants so far, seconds. */
export function cpuSecondsOf(pid: number): number {
  let ticks = 0;
  for (const each of [pid, ...descendants(pid)]) {
    // Fields after the command name (which may contain spaces): state is field 3, utime 14.
    const stat = readProc(`/proc/${each}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

function descendants(pid: number): number[] {
  const found: number[] = [];
  const tasks = readProc(`/proc/${pid}/task/${pid}/children`).trim();
  for (const child of tasks === "" ? [] : tasks.split(/\s+/).map(Number)) {
    found.push(child, ...descendants(child));
  }
  return found;
}

function readProc(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function kbField(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}

export function megabytes(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
