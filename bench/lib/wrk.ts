/**
 * wrk as the load generator: a C program that spends a fraction of autocannon's CPU per request,
 * so on a two-core machine more of the cores is left to the server under test. A Lua script
 * (written per run) formats every request once at start and hands them out in turn; its `done`
 * hook prints the figures as one JSON line, read into the same `RunnerResult` as autocannon's.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunnerResult, RunnerSpec } from "./load.ts";

export const WRK_INSTALL_HINT = "wrk is not installed (apt-get install wrk).";

/** wrk's version line, or undefined when it is not installed. */
export function wrkVersion(): string | undefined {
  try {
    // `wrk --version` prints its banner and usage, and exits with 1.
    execFileSync("wrk", ["--version"], { stdio: "pipe" });
  } catch (error) {
    const out = String((error as { stdout?: Buffer }).stdout ?? "");
    const line = out.split("\n")[0]?.trim();
    return line?.startsWith("wrk") ? line : undefined;
  }
  return undefined;
}

const lua = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function script(requests: RunnerSpec["requests"]): string {
  const entries = requests.map(
    ({ path, headers }) =>
      `{ ${lua(path)}, { ${Object.entries(headers)
        .map(([name, value]) => `[${lua(name)}] = ${lua(value)}`)
        .join(", ")} } }`,
  );
  return `local list = {
${entries.join(",\n")}
}
local formatted = {}
local turn = 0
function init(args)
  for i, entry in ipairs(list) do formatted[i] = wrk.format("GET", entry[1], entry[2]) end
end
function request()
  turn = turn % #formatted + 1
  return formatted[turn]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests":%d,"micros":%d,"bytes":%d,"status":%d,"socket":%d,"timeout":%d,' ..
    '"p50":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;
}

interface WrkFigures {
  requests: number;
  micros: number;
  bytes: number;
  status: number;
  socket: number;
  timeout: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** One wrk run (one thread, `spec.connections` connections) for `spec.seconds`. */
export async function runWrk(spec: RunnerSpec, workDir: string): Promise<RunnerResult> {
  if (spec.pipelining !== 1) throw new Error("--generator wrk sends one request at a time");
  const file = join(workDir, `wrk-${Date.now()}-${Math.random().toString(36).slice(2)}.lua`);
  await writeFile(file, script(spec.requests));
  const { stdout } = await promisify(execFile)(
    "wrk",
    [
      "-t1",
      `-c${spec.connections}`,
      `-d${spec.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      file,
      spec.url,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout
    .trim()
    .split("\n")
    .findLast((text) => text.startsWith("{"));
  if (!line) throw new Error(`wrk printed no figures:\n${stdout}`);
  const figures = JSON.parse(line) as WrkFigures;
  const seconds = figures.micros / 1e6;
  // wrk counts answers of 400 and above as status errors; everything else it read is an answer.
  const ok = figures.requests - figures.status;
  return {
    requestsPerSecond: seconds > 0 ? ok / seconds : 0,
    p50: figures.p50 / 1000,
    p99: figures.p99 / 1000,
    p999: figures.p999 / 1000,
    max: figures.max / 1000,
    ok,
    non2xx: figures.status,
    errors: figures.socket,
    timeouts: figures.timeout,
    bytesPerSecond: seconds > 0 ? figures.bytes / seconds : 0,
    seconds,
  };
}
