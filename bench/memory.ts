/**
 * Benchmark 4: memory. Peak resident memory of a Portrait process during 32 concurrent uploads of
 * a 4 MB JPEG, and its resident memory at rest with 10,000 photos stored, after every one of
 * them has been read (so every cache is as full as it gets). Checked against the budget below.
 *
 *   node --import tsx bench/memory.ts [--help]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";
import { envFlag, intFlag, listFlag, PORTRAIT_FLAGS, readFlags, stringFlag } from "./lib/cli.ts";
import { printHeader } from "./lib/machine.ts";
import { buildPortrait, ROOT, reserveUrl, startPortrait } from "./lib/portrait.ts";
import { megabytes, memoryOf, stopChildrenOnExit } from "./lib/processes.ts";
import { printTable, printTargets, round } from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";

/**
 * The budget (MiB of resident memory, all Portrait processes together, WORKERS=1, default
 * settings). At rest it is the sum of bounded parts, none of which grows with the photos stored:
 * the process itself (about 95 MiB with sharp loaded), the photo byte cache (PHOTO_CACHE_MB, 64 MiB
 * of bytes, about 100 MiB resident), SQLite's page cache (32 MiB), the store's read cache
 * (20,000 answers) and the verified-token cache (10,000 tokens). During uploads: the process,
 * 32 bodies of 4 MB, and decoded images of IMAGE_CONCURRENCY uploads at a time.
 */
export const BUDGET = { uploadPeakMiB: 400, restMiB: 320 };

/**
 * With WORKERS above 1, every worker keeps its own caches and image work (each bounded as one
 * process is), and the cluster's primary, which only forks and watches them and loads none of
 * the server's modules, adds about 46 MiB: the budget is 60 MiB plus one process's budget per
 * worker.
 */
const PRIMARY_MIB = 60;

function budgetFor(workers: number): typeof BUDGET {
  if (workers === 1) return BUDGET;
  return {
    uploadPeakMiB: PRIMARY_MIB + workers * BUDGET.uploadPeakMiB,
    restMiB: PRIMARY_MIB + workers * BUDGET.restMiB,
  };
}

const flags = readFlags(
  "Usage: node --import tsx bench/memory.ts [options]\n\n" +
    "Resident memory of Portrait: peak during concurrent 4 MB uploads, and at rest with many\n" +
    `photos stored. Budget: peak <= ${BUDGET.uploadPeakMiB} MiB, at rest <= ${BUDGET.restMiB} MiB\n` +
    `(with --workers N above 1: ${PRIMARY_MIB} MiB plus N times each).`,
  {
    uploads: { type: "string", default: "32", help: "concurrent uploads" },
    "upload-bytes": {
      type: "string",
      default: "4000000",
      help: "size of the JPEG uploaded (at most)",
    },
    photos: { type: "string", default: "10000", help: "photos stored for the at-rest figure" },
    phases: { type: "string", default: "uploads,rest", help: "which phases to run" },
    workers: { type: "string", default: "1", help: "Portrait WORKERS" },
    ...PORTRAIT_FLAGS,
  },
);
const uploads = intFlag(flags, "uploads", 1);
const uploadBytes = intFlag(flags, "upload-bytes", 1024);
const photos = intFlag(flags, "photos", 1);
const workers = intFlag(flags, "workers", 1);
const budget = budgetFor(workers);
const portraitDir = resolve(stringFlag(flags, "portrait-dir") || ROOT);
const extraEnv = envFlag(flags, "env");
const env = { WORKERS: String(workers), ...extraEnv };
const phases = listFlag(flags, "phases");

stopChildrenOnExit();
printHeader("Portrait memory benchmark (issue item 4)", {
  uploads: `${uploads} concurrent PUTs of one JPEG of at most ${uploadBytes} bytes, one connection each`,
  "at rest": `${photos} users with a photo (nine sizes each); every user's 48x48 and 648x648 read once`,
  measure: "VmRSS and VmHWM (peak) of the server process and its children, from /proc",
  portrait: `${portraitDir}: node dist/main.js, SQLite, WORKERS=${workers}, other settings default${Object.keys(extraEnv).length ? `, ${listFlag(flags, "env").join(", ")}` : ""}`,
  budget: `peak during uploads <= ${budget.uploadPeakMiB} MiB; at rest <= ${budget.restMiB} MiB`,
});

/** The phone photo re-encoded at the highest JPEG quality that stays within `limit` bytes. */
async function bigJpeg(limit: number): Promise<Buffer> {
  const source = await readFile(PHONE_IMAGE);
  let best: Buffer | undefined;
  for (let low = 50, high = 100; low <= high; ) {
    const quality = Math.floor((low + high) / 2);
    const candidate = await sharp(source, { autoOrient: true })
      .jpeg({ quality, chromaSubsampling: "4:4:4" })
      .toBuffer();
    if (candidate.length <= limit) {
      best = candidate;
      low = quality + 1;
    } else high = quality - 1;
  }
  if (!best) throw new Error(`cannot make a JPEG of at most ${limit} bytes`);
  return best;
}

/** Portrait as built, on `dataDir`, with the settings under test. */
const start = (dataDir: string, publicUrl: string, port: number) =>
  startPortrait({
    root: portraitDir,
    dataDir,
    publicUrl,
    port,
    source: "dist",
    logLevel: "warn",
    env,
  });

const work = await mkdtemp(join(tmpdir(), "portrait-bench-memory-"));
const rows: string[][] = [];
let uploadPeak = 0;
let rest = 0;
try {
  if (!flags["no-build"]) buildPortrait(portraitDir);
  const photo = await bigJpeg(uploadBytes);
  const meta = await sharp(photo).metadata();
  console.log(`Upload: ${meta.width}x${meta.height} JPEG, ${photo.length} bytes\n`);

  // 1. Concurrent uploads on a fresh server.
  if (phases.includes("uploads")) {
    const dataDir = join(work, "uploads");
    const { port, url: publicUrl } = await reserveUrl();
    const seeded = await seedPhotos({ dataDir, publicUrl, count: uploads, sizes: [] });
    const server = await start(dataDir, publicUrl, port);
    try {
      const token = await seeded.issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
      const before = memoryOf(server.pid).rss;
      let sampled = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          sampled = Math.max(sampled, memoryOf(server.pid).rss);
          await sleep(10);
        }
      })();
      const statuses = await Promise.all(
        seeded.users.map(async (user) => {
          const response = await fetch(`${server.url}/v1.0/users/${user.id}/photo/$value`, {
            method: "PUT",
            headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
            body: photo,
          });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      sampling = false;
      await sampler;
      const peak = memoryOf(server.pid).peak;
      await sleep(2000);
      const after = memoryOf(server.pid).rss;
      uploadPeak = peak;
      const counts = statuses.reduce<Record<number, number>>((acc, status) => {
        acc[status] = (acc[status] ?? 0) + 1;
        return acc;
      }, {});
      console.log(`Upload answers: ${JSON.stringify(counts)}`);
      rows.push([
        `${uploads} concurrent uploads`,
        round(megabytes(before), 1),
        `${round(megabytes(peak), 1)} (sampled ${round(megabytes(sampled), 1)})`,
        round(megabytes(after), 1),
      ]);
    } finally {
      await server.stop();
    }
  }

  // 2. At rest with many photos stored, after every photo has been read.
  if (phases.includes("rest")) {
    const dataDir = join(work, "rest");
    const { port, url: publicUrl } = await reserveUrl();
    console.log(`Seeding ${photos} photos ...`);
    const seeded = await seedPhotos({
      dataDir,
      publicUrl,
      count: photos,
      sizes: await encodeSizes(PHONE_IMAGE),
      progressEvery: 5000,
    });
    const server = await start(dataDir, publicUrl, port);
    try {
      const started = memoryOf(server.pid).rss;
      const token = await seeded.issuer.mint({
        user: seeded.users[0]?.id ?? "",
        scopes: ["User.ReadBasic.All"],
      });
      const paths = seeded.users.flatMap((user) => [
        `/v1.0/users/${user.id}/photos/48x48/$value`,
        `/v1.0/users/${user.id}/photo/$value`,
      ]);
      let next = 0;
      let peakDuring = started;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < paths.length) {
            const response = await fetch(`${server.url}${paths[next++]}`, {
              headers: { authorization: `Bearer ${token}` },
            });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
            if (next % 1000 === 0) peakDuring = Math.max(peakDuring, memoryOf(server.pid).rss);
          }
        }),
      );
      await sleep(2000);
      rest = memoryOf(server.pid).rss;
      rows.push([
        `${photos} photos, each read`,
        round(megabytes(started), 1),
        round(megabytes(Math.max(peakDuring, memoryOf(server.pid).peak)), 1),
        round(megabytes(rest), 1),
      ]);
    } finally {
      await server.stop();
    }
  }

  console.log("");
  printTable(["phase", "RSS before, MiB", "peak, MiB", "RSS after (2 s idle), MiB"], rows);
  console.log("");
  const targets = [];
  if (phases.includes("uploads")) {
    const peak = megabytes(uploadPeak);
    targets.push({
      name: `peak during uploads <= ${budget.uploadPeakMiB} MiB`,
      met: peak <= budget.uploadPeakMiB,
      detail: `${round(peak, 1)} MiB`,
    });
  }
  if (phases.includes("rest")) {
    const atRest = megabytes(rest);
    targets.push({
      name: `at rest with ${photos} photos <= ${budget.restMiB} MiB`,
      met: atRest <= budget.restMiB,
      detail: `${round(atRest, 1)} MiB`,
    });
  }
  printTargets(targets);
} finally {
  await rm(work, { recursive: true, force: true });
}
