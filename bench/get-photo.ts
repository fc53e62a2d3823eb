/**
 * Benchmarks 1 and 2: authenticated GETs of photo bytes and metadata, many users, a valid bearer
 * token on every request, against nginx serving the same bytes as files and a bare node:http
 * server serving them from memory, side by side in one run.
 *
 *   node --import tsx bench/get-photo.ts [--endpoint 48,648,photo,photos] [--help]
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startBareServer } from "./lib/bare.ts";
import { intFlag, listFlag, readFlags, stringFlag } from "./lib/cli.ts";
import {
  describeLoad,
  LOAD_GENERATOR,
  type LoadResult,
  type LoadSettings,
  runLoad,
} from "./lib/load.ts";
import { printHeader } from "./lib/machine.ts";
import { findNginx, NGINX_INSTALL_HINT, nginxVersion, startNginx } from "./lib/nginx.ts";
import { buildPortrait, ROOT, reserveUrl, type Source, startPortrait } from "./lib/portrait.ts";
import { freePort, type Started, stopChildrenOnExit } from "./lib/processes.ts";
import {
  LOAD_HEADERS,
  loadRow,
  medianRun,
  printTable,
  printTargets,
  ratio,
  round,
  type Target,
} from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, type SeededUser, seedPhotos } from "./lib/seed.ts";
import { mirror, type PathRequest, servesSame } from "./lib/static-tree.ts";

const ENDPOINTS: Record<string, { title: string; path: (user: SeededUser) => string }> = {
  "48": {
    title: "GET /v1.0/users/{id}/photos/48x48/$value (48x48 JPEG bytes)",
    path: (user) => `/v1.0/users/${user.id}/photos/48x48/$value`,
  },
  "648": {
    title: "GET /v1.0/users/{id}/photo/$value (648x648 JPEG bytes)",
    path: (user) => `/v1.0/users/${user.id}/photo/$value`,
  },
  photo: {
    title: "GET /v1.0/users/{id}/photo (metadata of the largest size, JSON)",
    path: (user) => `/v1.0/users/${user.id}/photo`,
  },
  photos: {
    title: "GET /v1.0/users/{id}/photos (metadata of every size, JSON)",
    path: (user) => `/v1.0/users/${user.id}/photos`,
  },
};

const SERVERS = ["nginx", "bare", "fastify", "portrait"] as const;
type ServerName = (typeof SERVERS)[number];

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
    connections: { type: "string", default: "50", help: "concurrent connections" },
    duration: { type: "string", default: "10", help: "measured seconds per run" },
    warmup: { type: "string", default: "3", help: "warm-up seconds before each run" },
    pipelining: { type: "string", default: "1", help: "requests in flight per connection" },
    users: { type: "string", default: "1000", help: "users with a photo, all requested in turn" },
    tokens: { type: "string", default: "100", help: "distinct bearer tokens, used in turn" },
    rounds: { type: "string", default: "1", help: "runs per server; the median is reported" },
    workers: {
      type: "string",
      default: "1",
      help: "processes of each server (Portrait WORKERS, nginx worker_processes)",
    },
    servers: {
      type: "string",
      default: "nginx,bare,portrait",
      help: "which servers to measure: nginx, bare, fastify (the framework floor), portrait",
    },
    "log-level": { type: "string", default: "warn", help: "Portrait LOG_LEVEL" },
    source: {
      type: "string",
      default: "dist",
      help: "run Portrait from dist (built first) or src (tsx)",
    },
    "no-build": { type: "boolean", default: false, help: "do not run npm run build first" },
    "portrait-dir": {
      type: "string",
      default: "",
      help: "run Portrait from another checkout (to compare versions)",
    },
    "cpu-prof": {
      type: "boolean",
      default: false,
      help: "write a V8 CPU profile of Portrait to ./.bench/",
    },
    env: { type: "string", default: "", help: "extra Portrait environment, NAME=value,NAME=value" },
  },
);

const endpoints = listFlag(flags, "endpoint");
for (const endpoint of endpoints) {
  if (!ENDPOINTS[endpoint]) {
    console.error(`unknown endpoint ${endpoint}; use ${Object.keys(ENDPOINTS).join(", ")}`);
    process.exit(2);
  }
}
const load: LoadSettings = {
  connections: intFlag(flags, "connections", 1),
  durationSeconds: intFlag(flags, "duration", 1),
  warmupSeconds: intFlag(flags, "warmup"),
  pipelining: intFlag(flags, "pipelining", 1),
};
const userCount = intFlag(flags, "users", 1);
const tokenCount = intFlag(flags, "tokens", 1);
const rounds = intFlag(flags, "rounds", 1);
const workers = intFlag(flags, "workers", 1);
const source = stringFlag(flags, "source") as Source;
const servers = listFlag(flags, "servers") as ServerName[];
const extraEnv = Object.fromEntries(
  listFlag(flags, "env").map((pair) => [
    pair.slice(0, pair.indexOf("=")),
    pair.slice(pair.indexOf("=") + 1),
  ]),
);
const nginx = servers.includes("nginx") ? findNginx() : undefined;
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);

stopChildrenOnExit();
printHeader("Portrait GET benchmark (issue items 1 and 2)", {
  "load generator": LOAD_GENERATOR,
  load: describeLoad(load),
  endpoints: endpoints.join(", "),
  users: `${userCount} users with a photo, requested in turn from a per-connection offset`,
  tokens: `${tokenCount} delegated tokens (User.ReadBasic.All), one per request in turn`,
  rounds: `${rounds} per server (median reported)`,
  "server processes": workers,
  portrait: `${portraitDir}: node ${source === "dist" ? "dist/main.js" : "--import tsx src/main.ts"}, SQLite, LOG_LEVEL=${stringFlag(flags, "log-level")}${Object.keys(extraEnv).length ? `, ${listFlag(flags, "env").join(", ")}` : ""}`,
  nginx: nginx
    ? `${nginxVersion(nginx)}, worker_processes ${workers}`
    : servers.includes("nginx")
      ? "absent"
      : "not measured",
  bare: servers.includes("bare")
    ? `node:http, bytes in memory, ${workers} process(es)`
    : "not measured",
  fastify: servers.includes("fastify")
    ? "Fastify 5, one route, bytes in memory, 1 process (the framework floor)"
    : "not measured",
  image: PHONE_IMAGE,
});
if (servers.includes("nginx") && !nginx)
  console.log(`${NGINX_INSTALL_HINT}\nSkipping the nginx baseline.\n`);

const work = await mkdtemp(join(tmpdir(), "portrait-bench-get-"));
const started: Started[] = [];
try {
  if (source === "dist" && !flags["no-build"]) buildPortrait(portraitDir);
  const dataDir = join(work, "data");
  const { port, url: publicUrl } = await reserveUrl();
  const sizes = await encodeSizes(PHONE_IMAGE);
  const seeded = await seedPhotos({ dataDir, publicUrl, count: userCount, sizes });
  console.log(
    `Seeded ${userCount} users with photos (${round(seeded.photoBytes / 1024)} KiB of JPEG each) in ${round(seeded.seconds, 1)} s`,
  );
  const profileDir = join(process.cwd(), ".bench");
  if (flags["cpu-prof"]) await mkdir(profileDir, { recursive: true });
  const portrait = await startPortrait({
    root: portraitDir,
    dataDir,
    publicUrl,
    port,
    source,
    logLevel: stringFlag(flags, "log-level"),
    env: { WORKERS: String(workers), ...extraEnv },
    nodeArgs: flags["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  });
  started.push(portrait);
  const tokens = await Promise.all(
    Array.from({ length: tokenCount }, (_, i) =>
      seeded.issuer.mint({
        user: (seeded.users[i % userCount] as SeededUser).id,
        scopes: ["User.ReadBasic.All"],
      }),
    ),
  );

  const summary: string[][] = [];
  for (const endpoint of endpoints) {
    const { title, path } = ENDPOINTS[endpoint] as (typeof ENDPOINTS)[string];
    const requests: PathRequest[] = seeded.users.map((user, i) => ({
      path: path(user),
      headers: { authorization: `Bearer ${tokens[i % tokenCount]}` },
    }));
    const root = join(work, `root-${endpoint}`);
    const fetched = await mirror(portrait.url, requests, root);
    const urls: Partial<Record<ServerName, string>> = { portrait: portrait.url };
    const pids: Partial<Record<ServerName, number>> = { portrait: portrait.pid };
    const local: Started[] = [];
    if (nginx) {
      const server = await startNginx({
        binary: nginx,
        root,
        workDir: await mkdtemp(join(work, "nginx-")),
        port: await freePort(),
        workers,
        contentType: fetched.contentType,
      });
      local.push(server);
      urls.nginx = server.url;
      pids.nginx = server.pid;
    }
    for (const name of ["bare", "fastify"] as const) {
      if (!servers.includes(name)) continue;
      const server = await startBareServer({
        script: name === "bare" ? "bare-server.ts" : "fastify-server.ts",
        root,
        port: await freePort(),
        contentType: fetched.contentType,
        workers,
        workDir: work,
        probe: fetched.sample.path,
      });
      local.push(server);
      urls[name] = server.url;
      pids[name] = server.pid;
    }
    started.push(...local);
    for (const name of ["nginx", "bare", "fastify"] as const) {
      const url = urls[name];
      if (url && !(await servesSame(url, fetched.sample)))
        throw new Error(`${name} does not serve Portrait's bytes`);
    }

    console.log(`## ${title}\n`);
    const runs = new Map<ServerName, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const name of SERVERS) {
        const url = urls[name];
        if (!url || !servers.includes(name)) continue;
        const result = await runLoad(url, requests, load, work, pids[name]);
        if (result.non2xx + result.errors + result.timeouts > 0) {
          console.log(
            `  warning: ${name} had ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
          );
        }
        runs.set(name, [...(runs.get(name) ?? []), result]);
      }
    }
    for (const server of local) await server.stop();

    const median = (name: ServerName) => {
      const list = runs.get(name);
      return list && list.length > 0 ? medianRun(list) : undefined;
    };
    const rows = SERVERS.flatMap((name) => {
      const result = median(name);
      return result ? [loadRow(name, result)] : [];
    });
    printTable(LOAD_HEADERS, rows);
    const mine = median("portrait");
    const bare = median("bare");
    const ngx = median("nginx");
    if (mine) {
      const targets: Target[] = [];
      if (bare) {
        const r = mine.requestsPerSecond / bare.requestsPerSecond;
        targets.push({
          name: ">= 0.9x bare node:http",
          met: r >= 0.9,
          detail: ratio(mine.requestsPerSecond, bare.requestsPerSecond),
        });
      }
      if (ngx) {
        const r = mine.requestsPerSecond / ngx.requestsPerSecond;
        targets.push({
          name: ">= 0.6x nginx",
          met: r >= 0.6,
          detail: ratio(mine.requestsPerSecond, ngx.requestsPerSecond),
        });
      }
      targets.push({ name: "p99 < 10 ms", met: mine.p99 < 10, detail: `${round(mine.p99, 2)} ms` });
      console.log("");
      printTargets(targets);
      summary.push([
        endpoint,
        round(mine.requestsPerSecond),
        bare ? ratio(mine.requestsPerSecond, bare.requestsPerSecond) : "n/a",
        ngx ? ratio(mine.requestsPerSecond, ngx.requestsPerSecond) : "n/a",
        round(mine.p99, 2),
      ]);
    }
    console.log("");
  }
  if (summary.length > 0) {
    console.log("## Summary (Portrait)\n");
    printTable(["endpoint", "req/s", "vs bare", "vs nginx", "p99 ms"], summary);
  }
} finally {
  for (const server of started.reverse()) await server.stop();
  await rm(work, { recursive: true, force: true });
}
