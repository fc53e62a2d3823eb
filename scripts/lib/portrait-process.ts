/**
 * The real Portrait as a child process: `node --import tsx src/main.ts` (or `node dist/main.js`),
 * on a given data directory, on a free port. Resolves once the service logs its address.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface PortraitProcessOptions {
  dataDir: string;
  /** PUBLIC_URL, which is also the development issuer: mint tokens with the same value. */
  publicUrl: string;
  /** Further environment (PORT=0 and LOG_LEVEL=info are the defaults). */
  env?: Record<string, string>;
  /** `tsx` (default) runs the sources; `dist` runs the build output. */
  entry?: "tsx" | "dist";
  /** Rejects when the service has not logged its address by then; default 60 s. */
  startTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PortraitProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>`, from the "Portrait listening on" log line. */
  readonly address: string;
  /** Milliseconds from spawn to the address being logged. */
  readonly startupMs: number;
  /** Resolves when the process has exited (and its output is closed). */
  readonly exited: Promise<Exit>;
  /** The last log lines (stdout and stderr), up to 1000. */
  logs(): string[];
  /** Resolves with the first log line (seen or still to come) whose `msg` starts with `prefix`. */
  waitForLog(prefix: string): Promise<string>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL, then waits for the exit; safe to call after it has exited. */
  kill(): Promise<Exit>;
}

export async function startPortrait(options: PortraitProcessOptions): Promise<PortraitProcess> {
  const started = Date.now();
  const args = options.entry === "dist" ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...options.env,
      DATA_DIR: options.dataDir,
      PUBLIC_URL: options.publicUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn Portrait");
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let onAddress: (address: string) => void = () => {};
  const addressLogged = new Promise<string>((resolve) => {
    onAddress = resolve;
  });
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (text: string) => {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > MAX_LINES) lines.shift();
        for (const watcher of watchers) watcher(line);
        const address = listeningAddress(line);
        if (address) onAddress(address);
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited: Promise<Exit> = once(child, "close").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    addressLogged.then((address) => ({ address })),
    exited.then((exit) => ({ exit })),
    new Promise<{ timeout: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!("address" in outcome)) {
    child.kill("SIGKILL");
    await exited;
    const why =
      "exit" in outcome
        ? `exited (code ${outcome.exit.code}, signal ${outcome.exit.signal})`
        : `did not log its address within ${timeoutMs} ms`;
    throw new Error(`Portrait ${why} during startup. Output:\n${lines.slice(-20).join("\n")}`);
  }

  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  return {
    pid,
    address: outcome.address,
    startupMs: Date.now() - started,
    exited,
    logs: () => [...lines],
    waitForLog: (prefix) => {
      const seen = lines.find((line) => logMessage(line)?.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const watcher = (line: string) => {
          if (!logMessage(line)?.startsWith(prefix)) return;
          watchers.delete(watcher);
          resolve(line);
        };
        watchers.add(watcher);
      });
    },
    signal: (signal) => {
      if (!hasExited) child.kill(signal);
    },
    async kill() {
      if (!hasExited) child.kill("SIGKILL");
      return exited;
    },
  };
}

const MAX_LINES = 1000;

/** The parsed JSON log line, or undefined for other output (e.g. a warning printed by Node). */
function logEntry(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function logMessage(line: string): string | undefined {
  const msg = logEntry(line)?.msg;
  return typeof msg === "string" ? msg : undefined;
}

function listeningAddress(line: string): string | undefined {
  if (!logMessage(line)?.startsWith("Portrait listening on")) return undefined;
  const address = logEntry(line)?.address;
  return typeof address === "string" ? address : undefined;
}
