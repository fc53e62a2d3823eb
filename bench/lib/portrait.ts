/**
 * A real Portrait server process for the benchmarks: `node dist/main.js` (the production entry
 * point, built first) or `node --import tsx src/main.ts`, on a temporary data directory, with
 * the development issuer so that tokens can be minted for it.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type Started, startProcess, waitForHttp } from "./processes.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type Source = "dist" | "src";

/** `npm run build` (tsc to dist/), so the benchmark runs what `npm start` runs. */
export function buildPortrait(root = ROOT): void {
  process.stdout.write(`Building ${join(root, "dist")} (npm run build) ... `);
  execFileSync("npm", ["run", "build", "--silent"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  console.log("done\n");
}

export interface PortraitOptions {
  dataDir: string;
  /** Also the issuer of development tokens; must equal the seeding's. */
  publicUrl: string;
  port: number;
  source: Source;
  logLevel: string;
  /** Extra environment (IMAGE_CONCURRENCY, WORKERS, ...). */
  env?: Record<string, string>;
  /** Extra Node options, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Another checkout of Portrait to run instead of this one (to compare versions). */
  root?: string;
  /** A command that runs Node, e.g. valgrind and its options (`instructions.ts`). */
  prefix?: string[];
}

export interface PortraitServer extends Started {
  url: string;
}

/** A URL for a server about to be started on a free port. */
export async function reserveUrl(): Promise<{ port: number; url: string }> {
  const port = await freePort();
  return { port, url: `http://127.0.0.1:${port}` };
}

export async function startPortrait(options: PortraitOptions): Promise<PortraitServer> {
  const env: Record<string, string> = {};
  // Only what a deployment would set: no AUTH_* (development issuer), no DATABASE_URL (SQLite).
  for (const name of ["PATH", "HOME", "LANG", "TMPDIR"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    PUBLIC_URL: options.publicUrl,
    LOG_LEVEL: options.logLevel,
    ...options.env,
  });
  const entry = options.source === "dist" ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"];
  const [command = process.execPath, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  const started = startProcess(
    command,
    [...prefixArgs, ...(options.nodeArgs ?? []), ...entry],
    join(options.dataDir, "server.log"),
    { cwd: options.root ?? ROOT, env },
  );
  const url = `http://127.0.0.1:${options.port}`;
  // Under valgrind a start takes tens of seconds.
  await waitForHttp(`${url}/readyz`, started, options.prefix ? 300_000 : undefined);
  return { ...started, url };
}

export interface CacheCounts {
  hits: number;
  misses: number;
}

/** The photo byte cache's answers so far (`/metrics`), of the process that answers. */
export async function photoCacheCounts(url: string): Promise<CacheCounts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (result: string) =>
    Number(
      new RegExp(`^portrait_photo_cache_answers_total\\{result="${result}"\\} (\\d+)$`, "m").exec(
        text,
      )?.[1] ?? Number.NaN,
    );
  return { hits: count("hit"), misses: count("miss") };
}

/**
 * "73% of 41,020 answers hit" from two readings of `photoCacheCounts`; undefined when no photo
 * bytes were answered between them (metadata).
 */
export function describeCacheHits(before: CacheCounts, after: CacheCounts): string | undefined {
  const hits = after.hits - before.hits;
  const answers = hits + after.misses - before.misses;
  if (!(answers > 0)) return undefined;
  return `${Math.round((100 * hits) / answers)}% of ${answers.toLocaleString("en-US")} answers hit`;
}
