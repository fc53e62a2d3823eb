/**
 * Upload storm against photo reads: starts a real Portrait process, measures the latency of
 * GET /v1.0/users/{id}/photos/48x48/$value at a steady rate at rest, then at the same rate
 * during a storm of concurrent phone-photo uploads against a small image queue, and prints
 * p50/p99 of both, their p99 ratio, and how many uploads got 200 and 503 and how long each took.
 *
 * Run: node --import tsx bench/upload-storm.ts [--help]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { loadDevIssuer } from "../src/auth/dev-issuer.ts";
import { p99, pacedGets, send, summary, type Target, type Timed } from "./lib/paced-load.ts";

const HELP = `Usage: node --import tsx bench/upload-storm.ts [options]

Starts Portrait (node --import tsx src/main.ts) on a temporary SQLite data directory, then
measures GET /v1.0/users/{id}/photos/48x48/$value at a fixed rate, first at rest, then during
a storm of concurrent uploads of the phone photos (read from --images at run time).

  --get-rate N            GETs per second, at rest and during the storm (default 100)
  --rest-seconds N        length of the measurement at rest (default 10)
  --uploads N             uploads in the storm (default 200)
  --upload-concurrency N  parallel upload clients (default 16)
  --image-concurrency N   IMAGE_CONCURRENCY of the server (default: the server's own, CPU count - 1)
  --queue-limit N         IMAGE_QUEUE_LIMIT of the server (default 4)
  --images DIR            JPEGs to upload (default /work/shared/images/phone)
  --retry-after           after a 503, a client waits its Retry-After before the next upload,
                          as the Graph SDKs' retry handlers do (default: at once)
  --max-seconds N         hard stop for the whole run (default 300)
  --cpu-prof DIR          write a V8 CPU profile of the server into DIR
  -h, --help              this text`;

const ROOT = new URL("..", import.meta.url).pathname;

const { values: args } = parseArgs({
  options: {
    "get-rate": { type: "string", default: "100" },
    "rest-seconds": { type: "string", default: "10" },
    uploads: { type: "string", default: "200" },
    "upload-concurrency": { type: "string", default: "16" },
    "image-concurrency": { type: "string" },
    "queue-limit": { type: "string", default: "4" },
    images: { type: "string", default: "/work/shared/images/phone" },
    "max-seconds": { type: "string", default: "300" },
    "retry-after": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

function whole(name: keyof typeof args, min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name}: expected a whole number of at least ${min}`);
  }
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(),
      );
    });
  });
}

async function main(): Promise<void> {
  if (args.help) {
    console.log(HELP);
    return;
  }
  const settings = {
    getRate: whole("get-rate", 1),
    restSeconds: whole("rest-seconds", 1),
    uploads: whole("uploads", 1),
    uploadConcurrency: whole("upload-concurrency", 1),
    imageConcurrency:
      args["image-concurrency"] === undefined ? "default" : whole("image-concurrency", 1),
    queueLimit: whole("queue-limit", 0),
    images: args.images as string,
    maxSeconds: whole("max-seconds", 1),
    retryAfter: args["retry-after"] === true,
  };
  const names = (await readdir(settings.images)).filter((name) => /\.jpe?g$/i.test(name)).sort();
  const photos = await Promise.all(names.map((name) => readFile(join(settings.images, name))));
  if (photos.length === 0) throw new Error(`no JPEG in ${settings.images}`);

  const cpu = cpus();
  console.log(`upload-storm  ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${platform()} ${release()}, node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`,
  );
  console.log(`settings: ${JSON.stringify(settings)}`);
  console.log(`images: ${names.map((name, i) => `${name} (${photos[i]?.length} B)`).join(", ")}`);
  console.log("(the load generator runs on the same machine as the server)");

  const dataDir = await mkdtemp(join(tmpdir(), "portrait-bench-"));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // Created here first, so the server finds the same development issuer in DATA_DIR.
  const issuer = await loadDevIssuer({ dataDir, publicUrl });
  const profile = args["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", args["cpu-prof"]] : [];
  const server = spawn(process.execPath, [...profile, "--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    // The server's log (warn and above) is counted, not shown.
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      IMAGE_QUEUE_LIMIT: String(settings.queueLimit),
      ...(typeof settings.imageConcurrency === "number" && {
        IMAGE_CONCURRENCY: String(settings.imageConcurrency),
      }),
    },
  });
  let logLines = 0;
  server.stdout.on("data", (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 0x0a) logLines++;
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const deadline = setTimeout(() => {
    console.error(`--max-seconds ${settings.maxSeconds} passed; stopping`);
    server.kill("SIGKILL");
    process.exit(1);
  }, settings.maxSeconds * 1000);

  const reads: Target = { agent: new Agent({ keepAlive: true, maxSockets: 64 }), port };
  const writes: Target = {
    agent: new Agent({ keepAlive: true, maxSockets: settings.uploadConcurrency }),
    port,
  };
  try {
    for (let ready = false, tries = 0; !ready; tries++) {
      if (tries > 150) throw new Error("the server did not become ready");
      await delay(200);
      ready = await send(reads, "GET", "/healthz", {}).then(
        (response) => response.status === 200,
        () => false,
      );
    }
    const token = await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
    const auth = { authorization: `Bearer ${token}` };
    const jpeg = { ...auth, "content-type": "image/jpeg" };
    const newUser = async (upn: string): Promise<string> => {
      const body = Buffer.from(JSON.stringify({ displayName: upn, userPrincipalName: upn }));
      const headers = { ...auth, "content-type": "application/json" };
      const created = await send(reads, "POST", "/v1.0/users", headers, body);
      if (created.status !== 201) throw new Error(`create user: ${created.body}`);
      return (JSON.parse(created.body.toString()) as { id: string }).id;
    };
    const photoPath = (id: string) => `/v1.0/users/${id}/photo/$value`;

    const reader = await newUser("reader@bench.test");
    const stored = await send(writes, "PUT", photoPath(reader), jpeg, photos[0]);
    if (stored.status !== 200) throw new Error(`first upload: ${stored.status} ${stored.body}`);
    const targets: string[] = [];
    for (let i = 0; i < settings.uploadConcurrency; i++) {
      targets.push(await newUser(`u${i}@bench.test`));
    }

    const readPath = `/v1.0/users/${reader}/photos/48x48/$value`;
    const readFor = (running: () => boolean) =>
      pacedGets(reads, readPath, auth, settings.getRate, running);
    const until = (ms: number) => {
      const end = performance.now() + ms;
      return () => performance.now() < end;
    };

    await readFor(until(2_000)); // warm-up, not counted
    const rest = await readFor(until(settings.restSeconds * 1000));

    const uploads: Timed[] = [];
    let next = 0;
    const uploader = async (worker: number) => {
      for (let n = next++; n < settings.uploads; n = next++) {
        const photo = photos[n % photos.length] as Buffer;
        const answer = await send(writes, "PUT", photoPath(targets[worker] as string), jpeg, photo);
        uploads.push(answer);
        if (settings.retryAfter && answer.status === 503 && answer.retryAfter) {
          await delay(answer.retryAfter * 1000);
        }
      }
    };
    let storming = true;
    const started = performance.now();
    const storm = Promise.all(targets.map((_, worker) => uploader(worker))).finally(() => {
      storming = false;
    });
    const [, during] = await Promise.all([storm, readFor(() => storming)]);
    const stormSeconds = (performance.now() - started) / 1000;

    console.log("");
    console.log(`GET 48x48 at rest:      ${summary(rest.latencies)}`);
    console.log(`GET 48x48 during storm: ${summary(during.latencies)}`);
    console.log(
      `p99 during storm / p99 at rest: ${(p99(during.latencies) / p99(rest.latencies)).toFixed(2)}`,
    );
    for (const [name, result] of [
      ["at rest", rest],
      ["during storm", during],
    ] as const) {
      if (result.failures + result.skipped > 0) {
        console.log(`GETs ${name}: ${result.failures} failed, ${result.skipped} not sent (busy)`);
      }
    }
    console.log(`storm: ${uploads.length} uploads in ${stormSeconds.toFixed(1)} s`);
    for (const status of [...new Set(uploads.map((upload) => upload.status))].sort()) {
      const ms = uploads.filter((upload) => upload.status === status).map((upload) => upload.ms);
      console.log(`  ${status}: ${summary(ms)}`);
    }
    console.log(`server log lines (LOG_LEVEL=warn): ${logLines}`);
  } finally {
    reads.agent.destroy();
    writes.agent.destroy();
    server.kill("SIGTERM");
    await exited;
    clearTimeout(deadline);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
