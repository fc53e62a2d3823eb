/** Starts the bare node:http baseline (`bare-server.ts`) in its own process. */
import { join } from "node:path";
import { ROOT } from "./portrait.ts";
import { type Started, startProcess, waitForHttp } from "./processes.ts";

export async function startBareServer(options: {
  /** `bare-server.ts` (node:http) or `fastify-server.ts` (the framework floor). */
  script?: "bare-server.ts" | "fastify-server.ts";
  root: string;
  port: number;
  contentType: string;
  workers: number;
  workDir: string;
  /** A path it serves, polled until it answers. */
  probe: string;
  /** A command that runs Node, e.g. valgrind and its options (`instructions.ts`). */
  prefix?: string[];
  /** Extra Node options, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}): Promise<Started & { url: string }> {
  const [command = process.execPath, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  const started = startProcess(
    command,
    [
      ...prefixArgs,
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      join(ROOT, "bench/lib", options.script ?? "bare-server.ts"),
      "--root",
      options.root,
      "--port",
      String(options.port),
      "--type",
      options.contentType,
      "--workers",
      String(options.workers),
    ],
    join(options.workDir, `${options.script ?? "bare-server.ts"}.log`),
    { cwd: ROOT, env: { ...process.env, NODE_ENV: "production" } },
  );
  const url = `http://127.0.0.1:${options.port}`;
  // Under valgrind a start takes tens of seconds.
  await waitForHttp(`${url}${options.probe}`, started, options.prefix ? 300_000 : undefined);
  return { ...started, url };
}
