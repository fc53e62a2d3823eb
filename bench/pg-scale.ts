/**
 * How photo reads scale with the number of users and with the number of processes on one
 * PostgreSQL. Run: node --import tsx bench/pg-scale.ts [--help]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadDevIssuer } from "../src/auth/dev-issuer.ts";
import { type PortraitProcess, spawnPortrait } from "../test/helpers/portrait-process.ts";
import { type LoadResult, runLoad } from "./lib/http-load.ts";
import { dropSchema, loadUsers } from "./lib/pg-load-users.ts";
import { median } from "./lib/report.ts";

const HELP = `Usage: node --import tsx bench/pg-scale.ts [options]

Loads two PostgreSQL schemas, a small and a large one, with users that have a photo (48, 64
and 96 px JPEGs), straight through the store. Then measures GET
/v1.0/users/{id}/photos/48x48/$value over randomly chosen users with a closed-loop load
generator (keep-alive connections, fixed duration) in four scenarios: small and large, each
against one and against two Portrait processes. The scenarios take turns, for several rounds,
so that other work on the machine weighs on all of them alike; each figure is the median of
its rounds. Prints the ratios large/small and two/one processes.

Options:
  --database-url URL   PostgreSQL (default: PORTRAIT_BENCH_DATABASE_URL or
                       postgres://postgres@127.0.0.1:5432/test); fresh schemas are used
  --small N            users in the small schema (default 1000)
  --large N            users in the large schema (default 100000)
  --duration S         seconds measured per scenario and round (default 8)
  --warmup S           seconds of unmeasured load before each measurement (default 2)
  --rounds N           rounds of the four scenarios (default 3)
  --connections N      concurrent connections (default 50)
  --load-concurrency N store calls in flight while loading (default 16)
  --keep               keep the schemas afterwards (they are dropped by default)
  --help               this text`;

const { values: args } = parseArgs({
  options: {
    "database-url": { type: "string" },
    small: { type: "string", default: "1000" },
    large: { type: "string", default: "100000" },
    duration: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    "load-concurrency": { type: "string", default: "16" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const count = (name: keyof typeof args, min = 1): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name}: a whole number ≥ ${min}`);
  return value;
};
const databaseUrl =
  args["database-url"] ??
  process.env.PORTRAIT_BENCH_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const settings = {
  small: count("small"),
  large: count("large"),
  durationMs: count("duration") * 1000,
  warmupMs: count("warmup", 0) * 1000,
  rounds: count("rounds"),
  connections: count("connections"),
  loadConcurrency: count("load-concurrency"),
};
const PUBLIC_URL = "http://portrait.bench";
const run = randomBytes(4).toString("hex");

/** The machine's 1-minute load average: other work on it skews the figures. */
const load1 = () => loadavg()[0]?.toFixed(1) ?? "?";

async function printMachine(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
  await client.end();
  const cpu = cpus();
  console.log(`date        ${new Date().toISOString()}`);
  console.log(
    `cpu         ${cpu[0]?.model ?? "?"} (${cpu.length} cores, ${availableParallelism()} usable)`,
  );
  console.log(`memory      ${(totalmem() / 2 ** 30).toFixed(1)} GiB   load average ${load1()}`);
  console.log(`node        ${process.version}`);
  console.log(`postgresql  ${rows[0]?.server_version ?? "?"} at ${new URL(databaseUrl).host}`);
  console.log(
    `load        ${settings.connections} keep-alive connections (node:http), closed loop, ` +
      `${settings.durationMs / 1000} s measured after ${settings.warmupMs / 1000} s warm-up, ` +
      `${settings.rounds} rounds; generator, servers and PostgreSQL share the machine`,
  );
}

interface DataSet {
  name: string;
  users: number;
  schema: string;
  ids: string[];
  servers: PortraitProcess[];
}

function measure(set: DataSet, processes: number, token: string, durationMs: number) {
  const { ids } = set;
  return runLoad({
    targets: set.servers.slice(0, processes).map((server) => server.url),
    nextPath: () =>
      `/v1.0/users/${ids[Math.floor(Math.random() * ids.length)]}/photos/48x48/$value`,
    headers: { authorization: `Bearer ${token}` },
    connections: settings.connections,
    durationMs,
  });
}

async function main(): Promise<void> {
  await printMachine();
  const dataDir = await mkdtemp(join(tmpdir(), "portrait-bench-"));
  const issuer = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
  const token = await issuer.mint({
    app: true,
    roles: ["User.ReadWrite.All"],
    lifetimeSeconds: 86_400,
  });
  const sets: DataSet[] = [
    {
      name: "small",
      users: settings.small,
      schema: `portrait_bench_${run}_small`,
      ids: [],
      servers: [],
    },
    {
      name: "large",
      users: settings.large,
      schema: `portrait_bench_${run}_large`,
      ids: [],
      servers: [],
    },
  ];
  let cleaned: Promise<void> | undefined;
  const cleanUp = () => {
    cleaned ??= (async () => {
      await Promise.all(sets.flatMap((set) => set.servers.map((server) => server.stop())));
      if (!args.keep) for (const set of sets) await dropSchema(databaseUrl, set.schema);
      await rm(dataDir, { recursive: true, force: true });
    })();
    return cleaned;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the servers and dropping the schemas`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const results = new Map<string, LoadResult[]>();
  try {
    for (const set of sets) {
      console.log(`\nLoading ${set.users} users (${set.name})`);
      set.ids = await loadUsers({
        databaseUrl,
        schema: set.schema,
        tenantId: issuer.tenantId,
        users: set.users,
        concurrency: settings.loadConcurrency,
      });
      const env = {
        DATABASE_URL: databaseUrl,
        PG_SCHEMA: set.schema,
        DATA_DIR: dataDir,
        PUBLIC_URL,
        LOG_LEVEL: "warn",
      };
      set.servers = await Promise.all([spawnPortrait(env), spawnPortrait(env)]);
    }
    for (let round = 1; round <= settings.rounds; round++) {
      console.log(`\nRound ${round} of ${settings.rounds}`);
      for (const processes of [1, 2]) {
        for (const set of sets) {
          if (settings.warmupMs > 0) await measure(set, processes, token, settings.warmupMs);
          const before = load1();
          const result = await measure(set, processes, token, settings.durationMs);
          const key = `${set.users} users, ${processes} process${processes > 1 ? "es" : ""}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          console.log(`  ${row(key, result)}   load avg ${before}→${load1()}`);
        }
      }
    }
  } finally {
    await cleanUp();
  }
  report(results);
}

const row = (label: string, r: LoadResult) =>
  `${label.padEnd(28)} ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms` +
  `   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   errors ${r.errors}` +
  (r.errors > 0 ? ` ${JSON.stringify(r.failures)}` : "");

function report(results: Map<string, LoadResult[]>): void {
  const summary = new Map<string, { rps: number; p99: number }>();
  console.log(`\nMedians of ${settings.rounds} rounds`);
  for (const [key, runs] of results) {
    const rps = median(runs.map((r) => r.perSecond));
    const p99 = median(runs.map((r) => r.p99Ms));
    summary.set(key, { rps, p99 });
    const errors = runs.reduce((sum, r) => sum + r.errors, 0);
    console.log(
      `  ${key.padEnd(28)} ${rps.toFixed(0).padStart(6)} req/s   p99 ${p99.toFixed(1).padStart(6)} ms   errors ${errors}`,
    );
  }
  const ratio = (a: string, b: string) => {
    const x = summary.get(a);
    const y = summary.get(b);
    if (!x || !y) return "?";
    return `throughput ×${(x.rps / y.rps).toFixed(2)}, p99 ×${(x.p99 / y.p99).toFixed(2)}`;
  };
  const { small, large } = settings;
  const label = (users: number, processes: number) =>
    `${users} users, ${processes} process${processes > 1 ? "es" : ""}`;
  console.log("\nRatios");
  for (const p of [1, 2]) {
    console.log(
      `  ${large} vs ${small} users, ${p} process(es): ${ratio(label(large, p), label(small, p))}`,
    );
  }
  for (const users of [small, large]) {
    console.log(`  2 vs 1 process, ${users} users: ${ratio(label(users, 2), label(users, 1))}`);
  }
}

await main();
