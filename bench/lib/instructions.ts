/**
 * Instructions per request, counted by valgrind's callgrind: unlike throughput and CPU time, the
 * count does not depend on what else the machine is doing. The server runs under callgrind with
 * counting off; after a warm-up (so the JIT has compiled the request path), counting is turned
 * on and the requests are sent one at a time over one keep-alive connection in batches, each
 * batch's total read from its own dump. The median batch is reported; batches differ mostly by
 * the garbage collections that fall into them.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { printTable, ratio, round } from "./report.ts";
import type { PathRequest } from "./static-tree.ts";

export interface InstructionSettings {
  /** Requests sent before counting starts, with counting off (fast). */
  warmup: number;
  /** Requests sent with counting on before the first batch (the JIT recompiles under it). */
  settle: number;
  batches: number;
  batchSize: number;
}

export const INSTRUCTION_SETTINGS: InstructionSettings = {
  warmup: 3000,
  settle: 2000,
  batches: 5,
  batchSize: 1000,
};

export function describeInstructions(settings: InstructionSettings): string {
  return (
    `one keep-alive connection, one request at a time; ${settings.warmup} requests uncounted, ` +
    `${settings.settle} counted to settle, then ${settings.batches} batches of ` +
    `${settings.batchSize} (median batch)`
  );
}

export interface InstructionResult {
  /** Median over batches, instructions per request. */
  perRequest: number;
  min: number;
  max: number;
  non2xx: number;
}

/** Whether valgrind and callgrind_control are installed. */
export function callgrindAvailable(): boolean {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" });
    execFileSync("callgrind_control", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * valgrind and callgrind_control name their command pipes after `$USER` and `$HOST`, and
 * Portrait's environment sets `HOST` (the address it listens on): both ends are given this one.
 */
const PIPE_HOST = "127.0.0.1";

/** The command prefix that runs a server under callgrind, counting off, dumps into `dir`. */
export function callgrindPrefix(dir: string): string[] {
  return [
    "env",
    `HOST=${PIPE_HOST}`,
    "valgrind",
    "--tool=callgrind",
    "--instr-atstart=no",
    `--callgrind-out-file=${join(dir, "callgrind.%p")}`,
    `--vgdb-prefix=${join(dir, "vgdb")}`,
  ];
}

export async function countInstructions(
  pid: number,
  url: string,
  requests: readonly PathRequest[],
  settings: InstructionSettings,
  dir: string,
): Promise<InstructionResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let next = 0;
  let non2xx = 0;
  const send = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const one = requests[next++ % requests.length] as PathRequest;
      const status = await get(agent, `${url}${one.path}`, one.headers);
      if (status < 200 || status > 299) non2xx++;
    }
  };
  try {
    await send(settings.warmup);
    control(pid, dir, ["-i", "on"]);
    await send(settings.settle);
    const perBatch: number[] = [];
    for (let b = 0; b < settings.batches; b++) {
      control(pid, dir, ["-z"]);
      await send(settings.batchSize);
      perBatch.push((await dump(pid, dir, () => send(1))) / settings.batchSize);
    }
    control(pid, dir, ["-i", "off"]);
    const sorted = [...perBatch].sort((a, b) => a - b);
    return {
      perRequest: sorted[Math.floor(sorted.length / 2)] ?? 0,
      min: sorted[0] ?? 0,
      max: sorted.at(-1) ?? 0,
      non2xx,
    };
  } finally {
    agent.destroy();
  }
}

function control(pid: number, dir: string, args: string[]): void {
  execFileSync("callgrind_control", [`--vgdb-prefix=${join(dir, "vgdb")}`, ...args, String(pid)], {
    stdio: "ignore",
    env: { ...process.env, HOST: PIPE_HOST },
  });
}

/**
 * Asks for a dump and reads its `totals:` line (instructions since the last zeroing). Callgrind
 * takes commands only while the program runs, so `poke` sends a request until the dump appears;
 * the part of that request run before the dump is counted (about 1/1000 of a batch).
 */
async function dump(pid: number, dir: string, poke: () => Promise<void>): Promise<number> {
  const before = new Set(dumpsOf(pid, dir));
  control(pid, dir, ["-d"]);
  for (let waited = 0; waited < 30_000; waited += 50) {
    await poke();
    const fresh = dumpsOf(pid, dir).find((file) => !before.has(file));
    if (fresh) {
      // The file is complete once its totals line is written.
      const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, fresh), "utf8"));
      if (totals?.[1]) return Number(totals[1]);
    }
    await sleep(50);
  }
  throw new Error(
    `callgrind wrote no dump for process ${pid} (in ${dir}: ${readdirSync(dir).join(", ")})`,
  );
}

function dumpsOf(pid: number, dir: string): string[] {
  return readdirSync(dir).filter((file) => file.startsWith(`callgrind.${pid}.`));
}

function get(agent: Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The per-server table of one endpoint. */
export function printInstructions(counted: ReadonlyMap<string, InstructionResult>): void {
  const bare = counted.get("bare");
  printTable(
    ["server", "instructions/request", "batches min-max", "x bare", "non-2xx"],
    [...counted].map(([server, result]) => [
      server,
      round(result.perRequest),
      `${round(result.min)}-${round(result.max)}`,
      bare ? ratio(result.perRequest, bare.perRequest) : "n/a",
      String(result.non2xx),
    ]),
  );
  console.log("");
}

/** Portrait's summary row of one endpoint: count, and ratios to bare, fastify and compare. */
export function instructionRows(
  endpoint: string,
  counted: ReadonlyMap<string, InstructionResult>,
): string[][] {
  const mine = counted.get("portrait");
  if (!mine) return [];
  const against = (name: string) => {
    const other = counted.get(name);
    return other ? ratio(mine.perRequest, other.perRequest) : "n/a";
  };
  return [
    [endpoint, round(mine.perRequest), against("bare"), against("fastify"), against("compare")],
  ];
}
