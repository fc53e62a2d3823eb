/**
 * Benchmark 3: uploading a real phone photo. Portrait's time from request to 200 (as the server
 * measures it, and as the client sees it) against the bare sharp pipeline producing the same
 * nine sizes in its own process; then uploads per second with both cores busy against the bare
 * pipeline's images per second, all in one run.
 *
 *   node --import tsx bench/upload.ts [--help]
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { BareResult } from "./lib/bare-pipeline.ts";
import { envFlag, intFlag, listFlag, PORTRAIT_FLAGS, readFlags, stringFlag } from "./lib/cli.ts";
import { printHeader } from "./lib/machine.ts";
import { buildPortrait, ROOT, reserveUrl, type Source, startPortrait } from "./lib/portrait.ts";
import { cpuSecondsOf, stopChildrenOnExit } from "./lib/processes.ts";
import { printTable, printTargets, ratio, round } from "./lib/report.ts";
import { PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";
import { sequentialUploads, uploadsPerSecond } from "./lib/uploader.ts";

const cores = availableParallelism();
const flags = readFlags(
  "Usage: node --import tsx bench/upload.ts [options]\n\n" +
    "Upload of a real phone photo: Portrait's server-side time and uploads per second against\n" +
    "the bare sharp pipeline (same nine sizes, same JPEG settings) in its own process.",
  {
    image: { type: "string", default: PHONE_IMAGE, help: "the photo to upload" },
    count: { type: "string", default: "20", help: "sequential uploads measured" },
    warmup: { type: "string", default: "3", help: "uploads before measuring" },
    clients: {
      type: "string",
      default: String(cores * 2),
      help: "concurrent uploaders in the throughput phase",
    },
    seconds: { type: "string", default: "20", help: "length of the throughput phase" },
    parallel: {
      type: "string",
      default: String(cores),
      help: "pipelines at once in the bare throughput phase",
    },
    workers: { type: "string", default: "1", help: "Portrait WORKERS" },
    "vips-threads": { type: "string", default: "", help: "libvips threads of the bare pipeline" },
    source: { type: "string", default: "dist", help: "run Portrait from dist (built) or src" },
    ...PORTRAIT_FLAGS,
  },
);
const image = stringFlag(flags, "image");
const count = intFlag(flags, "count", 1);
const warmup = intFlag(flags, "warmup");
const clients = intFlag(flags, "clients", 1);
const seconds = intFlag(flags, "seconds", 1);
const parallel = intFlag(flags, "parallel", 1);
const workers = intFlag(flags, "workers", 1);
const source = stringFlag(flags, "source") as Source;
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);
const extraEnv = envFlag(flags, "env");
const photo = await readFile(image);

stopChildrenOnExit();
printHeader("Portrait upload benchmark (issue item 3)", {
  image: `${image} (${round(photo.length / 1024)} KiB)`,
  "load generator":
    "node fetch (undici) in the benchmark process, keep-alive, separate from the server",
  latency: `${warmup} warm-up then ${count} sequential uploads (PUT .../photo/$value), median`,
  throughput: `${clients} concurrent uploaders for ${seconds} s`,
  bare: `sharp in its own process, ${warmup} warm-up then ${count} sequential, then ${parallel} at once for ${seconds} s`,
  portrait: `${portraitDir}: node ${source === "dist" ? "dist/main.js" : "src/main.ts"}, SQLite, WORKERS=${workers}${Object.keys(extraEnv).length ? `, ${listFlag(flags, "env").join(", ")}` : ""}`,
});

const work = await mkdtemp(join(tmpdir(), "portrait-bench-upload-"));
try {
  console.log("Bare sharp pipeline ...");
  const bareArgs = ["--image", image, "--count", String(count), "--warmup", String(warmup)];
  bareArgs.push("--parallel", String(parallel), "--seconds", String(seconds));
  if (flags["vips-threads"]) bareArgs.push("--vips-threads", String(flags["vips-threads"]));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench/lib/bare-pipeline.ts"), ...bareArgs],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  const bare = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as BareResult;

  if (source === "dist" && !flags["no-build"]) buildPortrait(portraitDir);
  const dataDir = join(work, "data");
  const { port, url: publicUrl } = await reserveUrl();
  const seeded = await seedPhotos({ dataDir, publicUrl, count: 64, sizes: [] });
  const portrait = await startPortrait({
    root: portraitDir,
    dataDir,
    publicUrl,
    port,
    source,
    logLevel: "warn",
    env: { WORKERS: String(workers), ...extraEnv },
  });
  try {
    const token = await seeded.issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
    const ids = seeded.users.map((user) => user.id);
    console.log("Portrait: sequential uploads ...");
    const sequential = await sequentialUploads(portrait.url, token, ids, photo, warmup, count);
    console.log("Portrait: concurrent uploads ...");
    const cpuBefore = cpuSecondsOf(portrait.pid);
    const throughput = await uploadsPerSecond(portrait.url, token, ids, photo, clients, seconds);
    const cpuMsPerUpload =
      ((cpuSecondsOf(portrait.pid) - cpuBefore) * 1000) / Math.max(1, throughput.ok);

    const bareMs = median(bare.sequentialMs);
    console.log("");
    printTable(
      ["", "median ms", "p90 ms", "per second (both cores busy)", "CPU ms per image"],
      [
        [
          "bare sharp pipeline",
          round(bareMs, 1),
          round(quantile(bare.sequentialMs, 0.9), 1),
          `${round(bare.perSecond, 2)} (${bare.parallel} at once)`,
          round(bare.cpuMsPerImage, 1),
        ],
        [
          "Portrait, server time",
          round(median(sequential.serverMs), 1),
          round(quantile(sequential.serverMs, 0.9), 1),
          `${round(throughput.perSecond, 2)} (${clients} clients)`,
          round(cpuMsPerUpload, 1),
        ],
        [
          "Portrait, client time",
          round(median(sequential.clientMs), 1),
          round(quantile(sequential.clientMs, 0.9), 1),
          "",
          "",
        ],
      ],
    );
    console.log(
      `\nbare: libvips threads ${bare.vipsThreads}, UV_THREADPOOL_SIZE ${bare.uvThreadpoolSize}; ` +
        `Portrait answered ${throughput.ok} uploads with 200 and ${throughput.refused} with 503 (queue full) in the throughput phase.`,
    );
    const same = sequential.lengths.join() === bare.lengths.join();
    console.log(
      `Same nine sizes as the bare pipeline (byte lengths): ${same ? "yes" : `no (${sequential.lengths.join()} vs ${bare.lengths.join()})`}\n`,
    );
    const serverRatio = median(sequential.serverMs) / bareMs;
    printTargets([
      {
        name: "server time <= 1.25x bare pipeline",
        met: serverRatio <= 1.25,
        detail: ratio(median(sequential.serverMs), bareMs),
      },
      {
        name: "uploads per second vs bare pipeline (information)",
        met: true,
        detail: ratio(throughput.perSecond, bare.perSecond),
      },
    ]);
  } finally {
    await portrait.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
