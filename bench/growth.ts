/**
 * Benchmark 5: cost growth. Authenticated GET throughput with 1,000 and with 100,000 photos
 * stored (SQLite), the same request mix (the same number of distinct users, spread evenly over
 * all the stored ones), as a ratio that must stay flat (at least 0.9). Both servers run at once
 * and are measured in turn, round after round, so that a busy machine affects both alike.
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
import {
  envFlag,
  intFlag,
  LOAD_FLAGS,
  listFlag,
  PORTRAIT_FLAGS,
  readFlags,
  stringFlag,
} from "./lib/cli.ts";
import { chooseEndpoints } from "./lib/endpoints.ts";
import {
  describeGenerator,
  describeLoad,
  type LoadResult,
  type LoadSettings,
  readGenerator,
  runLoad,
} from "./lib/load.ts";
import { printHeader } from "./lib/machine.ts";
import {
  buildPortrait,
  type PortraitServer,
  ROOT,
  reserveUrl,
  startPortrait,
} from "./lib/portrait.ts";
import { stopChildrenOnExit } from "./lib/processes.ts";
import {
  LOAD_HEADERS,
  loadRow,
  medianRun,
  pairedRatio,
  printTable,
  printTargets,
  ratio,
  round,
  times,
} from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";

const flags = readFlags(
  "Usage: node --import tsx bench/growth.ts [options]\n\n" +
    "GET throughput of Portrait with few and with many photos stored (SQLite), as a ratio.",
  {
    small: { type: "string", default: "1000", help: "photos stored in the small store" },
    large: { type: "string", default: "100000", help: "photos stored in the large store" },
    users: {
      type: "string",
      default: "1000",
      help: "distinct users requested, spread over all stored",
    },
    endpoint: { type: "string", default: "48,photo", help: "endpoints: 48, 648, photo, photos" },
    ...LOAD_FLAGS,
    rounds: {
      type: "string",
      default: "3",
      help: "runs per store, back to back (order reversed every other round); the median run is reported, the ratio is the median of per-round ratios",
    },
    tokens: { type: "string", default: "100", help: "distinct bearer tokens, used in turn" },
    workers: { type: "string", default: "1", help: "Portrait WORKERS" },
    ...PORTRAIT_FLAGS,
  },
);
const stores = [intFlag(flags, "small", 1), intFlag(flags, "large", 1)] as const;
const userCount = intFlag(flags, "users", 1);
const endpoints = chooseEndpoints(listFlag(flags, "endpoint"));
const load: LoadSettings = {
  generator: readGenerator(stringFlag(flags, "generator")),
  connections: intFlag(flags, "connections", 1),
  durationSeconds: intFlag(flags, "duration", 1),
  warmupSeconds: intFlag(flags, "warmup"),
  pipelining: 1,
};
const rounds = intFlag(flags, "rounds", 1);
const tokenCount = intFlag(flags, "tokens", 1);
const workers = intFlag(flags, "workers", 1);
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);
const extraEnv = envFlag(flags, "env");

stopChildrenOnExit();
printHeader("Portrait cost growth benchmark (issue item 5)", {
  "load generator": describeGenerator(load.generator),
  load: describeLoad(load),
  stores: `${stores[0]} and ${stores[1]} photos, nine real sizes each, both servers running`,
  requests: `${userCount} distinct users, evenly spread over each store; ${tokenCount} delegated tokens in turn`,
  endpoints: endpoints.map(([name]) => name).join(", "),
  rounds: `${rounds}, the two stores back to back in each (reversed every other round); median run reported, ratio the median of per-round ratios`,
  portrait: `${portraitDir}: node dist/main.js, SQLite, WORKERS=${workers}, LOG_LEVEL=warn${Object.keys(extraEnv).length ? `, ${listFlag(flags, "env").join(", ")}` : ""}`,
});

const needed = (stores[0] + stores[1]) * 240_000;
const disk = statfsSync(tmpdir());
if (needed > disk.bavail * disk.bsize * 0.8) {
  console.error(
    `Needs about ${round(needed / 1e9, 1)} GB in ${tmpdir()}; ${round((disk.bavail * disk.bsize) / 1e9, 1)} GB free.`,
  );
  process.exit(1);
}

const work = await mkdtemp(join(tmpdir(), "portrait-bench-growth-"));
const servers: PortraitServer[] = [];
try {
  if (!flags["no-build"]) buildPortrait(portraitDir);
  const encoded = await encodeSizes(PHONE_IMAGE);
  const targets: {
    size: number;
    url: string;
    pid: number;
    requests: { path: string; headers: Record<string, string> }[][];
  }[] = [];
  for (const size of stores) {
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
    servers.push(server);
    const picked = Math.min(userCount, size);
    const chosen = Array.from(
      { length: picked },
      (_, i) => seeded.users[Math.floor((i * size) / picked)]?.id ?? "",
    );
    const tokens = await Promise.all(
      Array.from({ length: tokenCount }, (_, i) =>
        seeded.issuer.mint({ user: chosen[i % picked] ?? "", scopes: ["User.ReadBasic.All"] }),
      ),
    );
    const requests = endpoints.map(([, endpoint]) =>
      chosen.map((id, i) => ({
        path: endpoint.path(id),
        headers: { authorization: `Bearer ${tokens[i % tokenCount]}` },
      })),
    );
    targets.push({ size, url: server.url, pid: server.pid, requests });
  }

  const runs = new Map<string, LoadResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [e] of endpoints.entries()) {
      for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
        const key = `${e}:${target.size}`;
        const result = await runLoad(target.url, target.requests[e] ?? [], load, work, target.pid);
        runs.set(key, [...(runs.get(key) ?? []), result]);
      }
    }
  }

  for (const [e, [name]] of endpoints.entries()) {
    console.log(`\n## ${name}\n`);
    const [smallRuns, largeRuns] = stores.map((size) => runs.get(`${e}:${size}`) ?? []) as [
      LoadResult[],
      LoadResult[],
    ];
    const [small, large] = [medianRun(smallRuns), medianRun(largeRuns)];
    const flat = pairedRatio(largeRuns, smallRuns);
    printTable(LOAD_HEADERS, [
      loadRow(`${stores[0]} photos`, small),
      loadRow(`${stores[1]} photos`, large),
    ]);
    console.log("");
    printTargets([
      {
        name: `req/s with ${stores[1]} / with ${stores[0]} photos (flat: >= 0.9)`,
        met: flat >= 0.9,
        detail: times(flat),
      },
      {
        name: "server CPU per request, large / small (information)",
        met: true,
        detail: ratio(large.cpuMicrosPerRequest ?? 0, small.cpuMicrosPerRequest ?? 0),
      },
    ]);
  }
} finally {
  for (const server of servers) await server.stop();
  await rm(work, { recursive: true, force: true });
}
