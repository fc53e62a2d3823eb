/**
 * Benchmark 5: cost growth. Authenticated GET throughput with 1,000 and with 100,000 photos
 * stored (SQLite), the same request mix (the same number of distinct users, spread over all the
 * stored ones), as a ratio that must stay flat.
 *
 *   node --import tsx bench/growth.ts [--help]
 *
 * Disk: every photo is stored with its nine real sizes (about 230 KB), so 100,000 photos take
 * about 23 GB in a temporary directory for the duration of the run.
 */
import { statfsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { intFlag, listFlag, readFlags, stringFlag } from "./lib/cli.ts";
import {
  describeLoad,
  LOAD_GENERATOR,
  type LoadResult,
  type LoadSettings,
  runLoad,
} from "./lib/load.ts";
import { printHeader } from "./lib/machine.ts";
import { buildPortrait, ROOT, reserveUrl, startPortrait } from "./lib/portrait.ts";
import { stopChildrenOnExit } from "./lib/processes.ts";
import {
  LOAD_HEADERS,
  loadRow,
  medianRun,
  printTable,
  printTargets,
  ratio,
  round,
} from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";

const PATHS: Record<string, (id: string) => string> = {
  "48": (id) => `/v1.0/users/${id}/photos/48x48/$value`,
  "648": (id) => `/v1.0/users/${id}/photo/$value`,
  photo: (id) => `/v1.0/users/${id}/photo`,
};

const flags = readFlags(
  "Usage: node --import tsx bench/growth.ts [options]\n\n" +
    "GET throughput of Portrait with few and with many photos stored (SQLite), as a ratio.",
  {
    sizes: { type: "string", default: "1000,100000", help: "photos stored in each run" },
    users: {
      type: "string",
      default: "1000",
      help: "distinct users requested, spread over all stored",
    },
    endpoint: { type: "string", default: "48,photo", help: "endpoints: 48, 648, photo" },
    connections: { type: "string", default: "50", help: "concurrent connections" },
    duration: { type: "string", default: "10", help: "measured seconds per run" },
    warmup: { type: "string", default: "3", help: "warm-up seconds before each run" },
    rounds: { type: "string", default: "1", help: "runs per size; the median is reported" },
    tokens: { type: "string", default: "100", help: "distinct bearer tokens, used in turn" },
    workers: { type: "string", default: "1", help: "Portrait WORKERS" },
    "no-build": { type: "boolean", default: false, help: "do not run npm run build first" },
    "portrait-dir": { type: "string", default: "", help: "run Portrait from another checkout" },
    env: { type: "string", default: "", help: "extra Portrait environment, NAME=value,..." },
  },
);
const sizes = listFlag(flags, "sizes").map(Number);
const userCount = intFlag(flags, "users", 1);
const endpoints = listFlag(flags, "endpoint");
const load: LoadSettings = {
  connections: intFlag(flags, "connections", 1),
  durationSeconds: intFlag(flags, "duration", 1),
  warmupSeconds: intFlag(flags, "warmup"),
  pipelining: 1,
};
const rounds = intFlag(flags, "rounds", 1);
const tokenCount = intFlag(flags, "tokens", 1);
const workers = intFlag(flags, "workers", 1);
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);
const extraEnv = Object.fromEntries(
  listFlag(flags, "env").map((pair) => [
    pair.slice(0, pair.indexOf("=")),
    pair.slice(pair.indexOf("=") + 1),
  ]),
);
for (const endpoint of endpoints) {
  if (!PATHS[endpoint]) {
    console.error(`unknown endpoint ${endpoint}; use ${Object.keys(PATHS).join(", ")}`);
    process.exit(2);
  }
}

stopChildrenOnExit();
printHeader("Portrait cost growth benchmark (issue item 5)", {
  "load generator": LOAD_GENERATOR,
  load: describeLoad(load),
  stored: sizes.map((size) => `${size} photos`).join(", "),
  requests: `${userCount} distinct users, evenly spread over all stored photos; ${tokenCount} delegated tokens in turn`,
  endpoints: endpoints.join(", "),
  rounds: `${rounds} per size (median reported)`,
  portrait: `${portraitDir}: node dist/main.js, SQLite, WORKERS=${workers}, LOG_LEVEL=warn${Object.keys(extraEnv).length ? `, ${listFlag(flags, "env").join(", ")}` : ""}`,
});

const needed = Math.max(...sizes) * 240_000;
const free = statfsSync(tmpdir()).bavail * statfsSync(tmpdir()).bsize;
if (needed > free * 0.8) {
  console.error(
    `Needs about ${round(needed / 1e9, 1)} GB in ${tmpdir()}; ${round(free / 1e9, 1)} GB free.`,
  );
  process.exit(1);
}

const results = new Map<number, Map<string, LoadResult>>();
const work = await mkdtemp(join(tmpdir(), "portrait-bench-growth-"));
try {
  if (!flags["no-build"]) buildPortrait(portraitDir);
  const encoded = await encodeSizes(PHONE_IMAGE);
  for (const size of sizes) {
    const dataDir = join(work, `data-${size}`);
    const { port, url: publicUrl } = await reserveUrl();
    console.log(`Seeding ${size} photos ...`);
    const seeded = await seedPhotos({
      dataDir,
      publicUrl,
      count: size,
      sizes: encoded,
      progressEvery: 20_000,
    });
    const file = await stat(join(dataDir, "portrait.db"));
    console.log(`  ${round(seeded.seconds, 1)} s, database ${round(file.size / 2 ** 30, 2)} GiB`);
    const server = await startPortrait({
      root: portraitDir,
      dataDir,
      publicUrl,
      port,
      source: "dist",
      logLevel: "warn",
      env: { WORKERS: String(workers), ...extraEnv },
    });
    try {
      const chosen = Array.from(
        { length: Math.min(userCount, size) },
        (_, i) => seeded.users[Math.floor((i * size) / Math.min(userCount, size))],
      );
      const tokens = await Promise.all(
        Array.from({ length: tokenCount }, (_, i) =>
          seeded.issuer.mint({
            user: chosen[i % chosen.length]?.id ?? "",
            scopes: ["User.ReadBasic.All"],
          }),
        ),
      );
      const byEndpoint = new Map<string, LoadResult>();
      for (const endpoint of endpoints) {
        const path = PATHS[endpoint] as (id: string) => string;
        const requests = chosen.map((user, i) => ({
          path: path(user?.id ?? ""),
          headers: { authorization: `Bearer ${tokens[i % tokenCount]}` },
        }));
        const runs: LoadResult[] = [];
        for (let round = 0; round < rounds; round++)
          runs.push(await runLoad(server.url, requests, load, work, server.pid));
        byEndpoint.set(endpoint, medianRun(runs));
      }
      results.set(size, byEndpoint);
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  const [small, large] = [sizes[0] as number, sizes.at(-1) as number];
  for (const endpoint of endpoints) {
    console.log(`\n## ${endpoint}\n`);
    printTable(
      LOAD_HEADERS,
      sizes.map((size) =>
        loadRow(`${size} photos`, results.get(size)?.get(endpoint) as LoadResult),
      ),
    );
    const a = results.get(small)?.get(endpoint);
    const b = results.get(large)?.get(endpoint);
    if (a && b) {
      console.log("");
      printTargets([
        {
          name: `req/s with ${large} / with ${small} photos (flat: >= 0.9)`,
          met: b.requestsPerSecond / a.requestsPerSecond >= 0.9,
          detail: ratio(b.requestsPerSecond, a.requestsPerSecond),
        },
        {
          name: "server CPU per request, same ratio (information)",
          met: true,
          detail: ratio(b.cpuMicrosPerRequest ?? 0, a.cpuMicrosPerRequest ?? 0),
        },
      ]);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
