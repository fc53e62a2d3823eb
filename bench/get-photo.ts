/**
 * Benchmarks 1 and 2: authenticated GETs of photo bytes and metadata, many users, a valid bearer
 * token on every request, against nginx serving the same bytes as files and a bare node:http
 * server serving them from memory, side by side in one run.
 *
 *   node --import tsx bench/get-photo.ts [--endpoint 48,648,photo,photos] [--help]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startBaselines } from "./lib/baselines.ts";
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
import { ORDER, reportGetTargets, type ServerName } from "./lib/get-verdict.ts";
import {
  callgrindAvailable,
  callgrindPrefix,
  countInstructions,
  describeInstructions,
  INSTRUCTION_SETTINGS,
  type InstructionResult,
  instructionRows,
  printInstructions,
} from "./lib/instructions.ts";
import {
  describeGenerator,
  describeLoad,
  type LoadResult,
  type LoadSettings,
  readGenerator,
  runLoad,
} from "./lib/load.ts";
import { printHeader } from "./lib/machine.ts";
import { findNginx, NGINX_INSTALL_HINT, nginxVersion } from "./lib/nginx.ts";
import {
  buildPortrait,
  type CacheCounts,
  describeCacheHits,
  photoCacheCounts,
  ROOT,
  reserveUrl,
  type Source,
  startPortrait,
} from "./lib/portrait.ts";
import { freePort, type Started, stopChildrenOnExit } from "./lib/processes.ts";
import { LOAD_HEADERS, loadRow, medianRun, printTable, round } from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";
import { mirror, type PathRequest } from "./lib/static-tree.ts";

const flags = readFlags(
  "Usage: node --import tsx bench/get-photo.ts [options]\n\n" +
    "Authenticated GETs of photo bytes (48, 648) and metadata (photo, photos) against Portrait,\n" +
    "nginx (static files) and a bare node:http server (bytes in memory), measured in one run.",
  {
    endpoint: {
      type: "string",
      default: "48,648,photo,photos",
      help: "endpoints: 48, 648, photo, photos",
    },
    ...LOAD_FLAGS,
    pipelining: { type: "string", default: "1", help: "requests in flight per connection" },
    users: { type: "string", default: "1000", help: "users with a photo, all requested in turn" },
    tokens: { type: "string", default: "100", help: "distinct bearer tokens, used in turn" },
    rounds: {
      type: "string",
      default: "1",
      help: "runs per server, servers back to back in each round (order reversed every other round); the median run is reported, and ratios are medians of per-round ratios",
    },
    "per-round": {
      type: "boolean",
      default: false,
      help: "also print every round's req/s per server",
    },
    workers: {
      type: "string",
      default: "1",
      help: "processes of each server (Portrait WORKERS, nginx worker_processes)",
    },
    processes: {
      type: "string",
      default: "",
      help: "processes of some servers apart from --workers, e.g. portrait=2 (one Portrait with WORKERS=2 against one bare server) or portrait=2,nginx=2",
    },
    servers: {
      type: "string",
      default: "nginx,bare,portrait",
      help: "servers: nginx, bare, fastify (the framework floor), portrait",
    },
    compare: {
      type: "string",
      default: "",
      help: "also measure Portrait from this other checkout (or this one), in the same rounds",
    },
    "compare-env": {
      type: "string",
      default: "",
      help: "extra environment of the --compare server only, NAME=value,... (a setting against the same build)",
    },
    "compare-node-args": {
      type: "string",
      default: "",
      help: "extra Node options of the --compare server only, comma-separated (e.g. --single-threaded-gc)",
    },
    "log-level": { type: "string", default: "warn", help: "Portrait LOG_LEVEL" },
    source: {
      type: "string",
      default: "dist",
      help: "run Portrait from dist (built first) or src (tsx)",
    },
    ...PORTRAIT_FLAGS,
    "cpu-prof": {
      type: "string",
      default: "",
      help: "write V8 CPU profiles of Portrait and the Node baselines into DIR",
    },
    instructions: {
      type: "boolean",
      default: false,
      help: "count instructions per request under valgrind (callgrind) instead of load: bare, fastify, portrait, compare; one process each",
    },
  },
);
const endpoints = chooseEndpoints(listFlag(flags, "endpoint"));
const load: LoadSettings = {
  generator: readGenerator(stringFlag(flags, "generator")),
  connections: intFlag(flags, "connections", 1),
  durationSeconds: intFlag(flags, "duration", 1),
  warmupSeconds: intFlag(flags, "warmup"),
  pipelining: intFlag(flags, "pipelining", 1),
};
const userCount = intFlag(flags, "users", 1);
const tokenCount = intFlag(flags, "tokens", 1);
const rounds = intFlag(flags, "rounds", 1);
const perRound = flags["per-round"] === true;
const workers = intFlag(flags, "workers", 1);
const processes = envFlag(flags, "processes");
const workersOf = (server: ServerName): number => {
  const raw = processes[server];
  if (raw === undefined) return workers;
  const count = Number(raw);
  if (!ORDER.includes(server) || !Number.isInteger(count) || count < 1) {
    console.error(
      `--processes expects server=count with a count of 1 or more (got ${server}=${raw})`,
    );
    process.exit(2);
  }
  return count;
};
for (const server of Object.keys(processes)) workersOf(server as ServerName);
const source = stringFlag(flags, "source") as Source;
const servers = new Set(listFlag(flags, "servers"));
const logLevel = stringFlag(flags, "log-level");
const extraEnv = envFlag(flags, "env");
const compareEnv = envFlag(flags, "compare-env");
const compareNodeArgs = listFlag(flags, "compare-node-args");
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);
const compareDir = stringFlag(flags, "compare") && resolve(stringFlag(flags, "compare"));
if (compareDir) servers.add("compare");
const instructions = flags.instructions === true;
if (instructions) {
  if (ORDER.some((server) => workersOf(server) !== 1))
    throw new Error("--instructions counts one process: use --workers 1");
  if (!callgrindAvailable()) {
    console.error("--instructions needs valgrind (apt-get install valgrind)");
    process.exit(1);
  }
  // nginx forks its workers, and its cost is not the question here.
  servers.delete("nginx");
}
const nginx = servers.has("nginx") ? findNginx() : undefined;
const baselines = (["nginx", "bare", "fastify"] as const).filter((name) => servers.has(name));
const cpuProfDir = stringFlag(flags, "cpu-prof") && resolve(stringFlag(flags, "cpu-prof"));
const measured = (name: ServerName) => servers.has(name);

stopChildrenOnExit();
const describePortrait = (
  name: "portrait" | "compare",
  dir: string,
  env: string[] = listFlag(flags, "env"),
) =>
  `${dir}: node ${source === "dist" ? "dist/main.js" : "--import tsx src/main.ts"}, SQLite, WORKERS=${workersOf(name)}, LOG_LEVEL=${logLevel}` +
  `${env.length ? `, ${env.join(", ")}` : ""}`;
printHeader("Portrait GET benchmark (issue items 1 and 2)", {
  ...(instructions
    ? {
        counting: `valgrind's callgrind; ${describeInstructions(INSTRUCTION_SETTINGS)}`,
      }
    : { "load generator": describeGenerator(load.generator), load: describeLoad(load) }),
  endpoints: endpoints.map(([name]) => name).join(", "),
  users: `${userCount} users with a photo, requested in turn from a per-connection offset`,
  tokens: `${tokenCount} delegated tokens (User.ReadBasic.All), one per request in turn`,
  rounds: instructions
    ? "one count per server"
    : `${rounds} per server, servers back to back (reversed every other round); median run reported, ratios are medians of per-round ratios`,
  portrait: describePortrait("portrait", portraitDir),
  compare: compareDir
    ? describePortrait("compare", compareDir, [
        ...listFlag(flags, "env"),
        ...listFlag(flags, "compare-env"),
        ...compareNodeArgs.map((arg) => `node ${arg}`),
      ])
    : "not measured",
  nginx: nginx
    ? `${nginxVersion(nginx)}, worker_processes ${workersOf("nginx")}, files`
    : servers.has("nginx")
      ? "absent"
      : "not measured",
  bare: servers.has("bare")
    ? `node:http, bytes in memory, ${workersOf("bare")} process(es)`
    : "not measured",
  fastify: servers.has("fastify")
    ? "Fastify 5, one route, bytes in memory, 1 process (the framework floor)"
    : "not measured",
  image: `${PHONE_IMAGE} (its nine sizes stored for every user, each with its own bytes)`,
});
if (servers.has("nginx") && !nginx)
  console.log(`${NGINX_INSTALL_HINT}\nSkipping the nginx baseline.\n`);

const work = await mkdtemp(join(tmpdir(), "portrait-bench-get-"));
const started: Started[] = [];
try {
  if (source === "dist" && !flags["no-build"]) {
    buildPortrait(portraitDir);
    if (compareDir) buildPortrait(compareDir);
  }
  const dataDir = join(work, "data");
  const { port, url: publicUrl } = await reserveUrl();
  const seeded = await seedPhotos({
    dataDir,
    publicUrl,
    count: userCount,
    sizes: await encodeSizes(PHONE_IMAGE),
  });
  console.log(
    `Seeded ${userCount} users with photos (${round(seeded.photoBytes / 1024)} KiB each) in ${round(seeded.seconds, 1)} s`,
  );
  // Both Portraits share the data directory (so the same tokens verify) and the public URL.
  const portraits = new Map<ServerName, { url: string; pid: number }>();
  const start = async (name: ServerName, root: string, serverPort: number) => {
    const server = await startPortrait({
      root,
      dataDir,
      publicUrl,
      port: serverPort,
      source,
      logLevel,
      env: { WORKERS: String(workersOf(name)), ...extraEnv, ...(name === "compare" && compareEnv) },
      nodeArgs: [
        ...(cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir] : []),
        ...(name === "compare" ? compareNodeArgs : []),
      ],
      ...(instructions && { prefix: callgrindPrefix(work) }),
    });
    started.push(server);
    portraits.set(name, server);
  };
  if (measured("portrait")) await start("portrait", portraitDir, port);
  if (compareDir) await start("compare", compareDir, await freePort());
  const reference = portraits.get("portrait") ?? portraits.get("compare");
  if (!reference) throw new Error("measure portrait or --compare");
  const tokens = await Promise.all(
    Array.from({ length: tokenCount }, (_, i) =>
      seeded.issuer.mint({
        user: seeded.users[i % userCount]?.id ?? "",
        scopes: ["User.ReadBasic.All"],
      }),
    ),
  );

  const summary: string[][] = [];
  for (const [name, endpoint] of endpoints) {
    const requests: PathRequest[] = seeded.users.map((user, i) => ({
      path: endpoint.path(user.id),
      headers: { authorization: `Bearer ${tokens[i % tokenCount]}` },
    }));
    const root = join(work, `root-${name}`);
    const fetched = await mirror(reference.url, requests, root);
    const local = await startBaselines({
      names: baselines,
      nginx,
      root,
      fetched,
      workersOf,
      workDir: work,
      ...(instructions && { prefix: callgrindPrefix(work) }),
      ...(cpuProfDir && { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", cpuProfDir] }),
    });
    const targets = new Map<ServerName, { url: string; pid: number }>([...local, ...portraits]);

    console.log(`## ${endpoint.title}\n`);
    if (instructions) {
      const counted = new Map<ServerName, InstructionResult>();
      for (const server of ORDER) {
        const target = targets.get(server);
        if (!target || !measured(server)) continue;
        const args = [target.pid, target.url, requests, INSTRUCTION_SETTINGS, work] as const;
        counted.set(server, await countInstructions(...args));
      }
      for (const server of local.values()) await server.stop();
      summary.push(...instructionRows(name, counted));
      printInstructions(counted);
      continue;
    }
    // With several workers, /metrics answers for one of them: the cache is then not reported.
    const cacheBefore = new Map<ServerName, CacheCounts>();
    for (const [server, { url }] of portraits) {
      if (workersOf(server) === 1) cacheBefore.set(server, await photoCacheCounts(url));
    }
    const runs = new Map<ServerName, LoadResult[]>();
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ORDER : [...ORDER].reverse();
      const line: string[] = [];
      for (const server of order) {
        const target = targets.get(server);
        if (!target || !measured(server)) continue;
        const result = await runLoad(target.url, requests, load, work, target.pid);
        if (result.non2xx + result.errors + result.timeouts > 0) {
          console.log(
            `  warning: ${server} had ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
          );
        }
        runs.set(server, [...(runs.get(server) ?? []), result]);
        line.push(`${server} ${round(result.requestsPerSecond)}`);
      }
      if (perRound) console.log(`  round ${r + 1}: ${line.join(", ")} req/s`);
    }
    for (const server of local.values()) await server.stop();
    for (const [server, before] of cacheBefore) {
      const after = await photoCacheCounts(portraits.get(server)?.url ?? "");
      const hits = describeCacheHits(before, after);
      if (hits) console.log(`  photo byte cache of ${server}: ${hits}`);
    }

    const median = (server: ServerName) => {
      const list = runs.get(server);
      return list?.length ? medianRun(list) : undefined;
    };
    printTable(
      LOAD_HEADERS,
      ORDER.flatMap((server) =>
        median(server) ? [loadRow(server, median(server) as LoadResult)] : [],
      ),
    );
    const row = reportGetTargets(name, runs, median);
    if (row) summary.push(row);
    console.log("");
  }
  if (summary.length > 0) {
    console.log("## Summary (Portrait)\n");
    printTable(
      instructions
        ? ["endpoint", "instructions/request", "x bare", "x fastify", "x compare"]
        : ["endpoint", "req/s", "vs bare", "vs nginx", "p99 ms", "CPU µs/req", "vs compare"],
      summary,
    );
  }
} finally {
  for (const server of started.reverse()) await server.stop();
  await rm(work, { recursive: true, force: true });
}
