/**
 * The baselines of the GET benchmark for one endpoint, each in its own process, serving the
 * bytes Portrait served (mirrored under `root`): nginx from files, the bare node:http server and
 * the Fastify floor from memory. Each is checked to answer Portrait's bytes before it is used.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { startBareServer } from "./bare.ts";
import { startNginx } from "./nginx.ts";
import { freePort, type Started } from "./processes.ts";
import { type Fetched, servesSame } from "./static-tree.ts";

export type BaselineName = "nginx" | "bare" | "fastify";

export interface Baseline extends Started {
  url: string;
}

export async function startBaselines(options: {
  names: readonly BaselineName[];
  /** The nginx binary; nginx is skipped without it. */
  nginx: string | undefined;
  root: string;
  fetched: Fetched;
  /** Processes of each baseline. */
  workersOf: (name: BaselineName) => number;
  workDir: string;
  /** A command that runs Node for the Node baselines (`instructions.ts`). */
  prefix?: string[];
  /** Extra Node options for the Node baselines, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}): Promise<Map<BaselineName, Baseline>> {
  const { root, fetched, workersOf, workDir } = options;
  const started = new Map<BaselineName, Baseline>();
  try {
    for (const name of options.names) {
      if (name === "nginx") {
        if (!options.nginx) continue;
        const nginxDir = await mkdtemp(join(workDir, "nginx-"));
        const port = await freePort();
        const contentType = fetched.contentType;
        started.set(
          name,
          await startNginx({
            binary: options.nginx,
            root,
            workDir: nginxDir,
            port,
            workers: workersOf(name),
            contentType,
          }),
        );
      } else {
        const script = name === "bare" ? "bare-server.ts" : "fastify-server.ts";
        const port = await freePort();
        const probe = fetched.sample.path;
        started.set(
          name,
          await startBareServer({
            script,
            root,
            port,
            contentType: fetched.contentType,
            workers: workersOf(name),
            workDir,
            probe,
            ...(options.prefix && { prefix: options.prefix }),
            ...(options.nodeArgs && { nodeArgs: options.nodeArgs }),
          }),
        );
      }
      const server = started.get(name);
      if (server && !(await servesSame(server.url, fetched.sample))) {
        throw new Error(`${name} does not answer Portrait's bytes`);
      }
    }
    return started;
  } catch (error) {
    for (const server of started.values()) await server.stop();
    throw error;
  }
}
