/**
 * A real Portrait process (`node --import tsx src/main.ts`, or other arguments to node such as a
 * compiled `main.js`), as an operator runs it: settings from the environment and a free port.
 * It is up once it logs "Portrait listening on" (at LOG_LEVEL info, the default here) or, at
 * quieter levels, once /healthz answers.
 * `stop()` ends it by its pid (SIGTERM, then SIGKILL after a grace period).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export interface PortraitProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** Everything it wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_LIMIT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/**
 * Starts Portrait with `env` on top of a minimal environment, node running `nodeArgs`; resolves
 * once it listens.
 */
export async function spawnPortrait(
  env: Record<string, string>,
  nodeArgs: readonly string[] = ["--import", "tsx", "src/main.ts"],
): Promise<PortraitProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, nodeArgs, {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("Portrait did not start");
  const closed = once(child, "close");
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });

  let starting = true;
  const listening = new Promise<string>((resolve) => {
    void (async () => {
      while (starting) {
        await sleep(100);
        const answered = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.ok,
          () => false,
        );
        if (answered) resolve(`http://127.0.0.1:${port}`);
      }
    })();
    if (!child.stdout) throw new Error("no stdout");
    createInterface({ input: child.stdout }).on("line", (line) => {
      output += `${line}\n`;
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg?.startsWith("Portrait listening on") && entry.address) {
          resolve(entry.address);
        }
      } catch {
        // Not a log line.
      }
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
    }, STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    const started = await Promise.race([
      listening,
      closed.then(([code]) => ({ exitCode: code as number | null })),
      new Promise<{ timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), STARTUP_LIMIT_MS);
      }),
    ]);
    if (typeof started === "string") return { url: started, pid, output: () => output, stop };
    throw new Error(
      "exitCode" in started
        ? `Portrait exited (code ${started.exitCode}) before listening:\n${output}`
        : `Portrait did not listen within ${STARTUP_LIMIT_MS} ms:\n${output}`,
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    starting = false;
    clearTimeout(timer);
  }
}

/** A port on 127.0.0.1 that nothing listens on right now. */
/** A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}
