/**
 * The crash soak: the real server on a temporary data directory, several upload streams (one
 * user's photo each), `kill -9` at a seeded random moment, an offline integrity check of the
 * database as the kill left it, a restart on the same directory and a check of every photo
 * (see verify.ts). Resolves with a summary, or rejects with the first violation found.
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { sqliteIntegrityCheck } from "../../src/storage/sqlite/integrity.ts";
import { createUser, isUnexpected } from "../lib/graph-photos.ts";
import { type PortraitProcess, startPortrait } from "../lib/portrait-process.ts";
import { createRandom, createUploadPlanner, type PhotoState, randomInt } from "./model.ts";
import { runUploadStream, type StreamEnd } from "./upload-stream.ts";
import { verifyPhoto } from "./verify.ts";

export interface CrashSoakOptions {
  iterations: number;
  seed: number;
  /** Concurrent upload streams, each on its own user's photo. Default 6. */
  streams?: number;
  /** The kill comes this many ms after the restarted server is up, drawn uniformly. */
  killAfterMs?: readonly [number, number];
  /** Runs `src/main.ts` with tsx (default) or the built `dist/main.js`. */
  entry?: "tsx" | "dist";
  /** Progress, one line per iteration. */
  log?: (line: string) => void;
  /** Keeps the data directory when a violation is found; its path is in the error. */
  keepOnFailure?: boolean;
}

export interface CrashSoakSummary {
  iterations: number;
  streams: number;
  seed: number;
  /** SIGKILLs sent (one per iteration). */
  kills: number;
  uploadsSent: number;
  uploadsAcknowledged: number;
  /** Kill points: uploads sent and not yet answered when the server was killed. */
  inFlightAtKill: number;
  /** Of those, the ones found stored after the restart (committed, 200 never delivered). */
  committedWithoutAnswer: number;
  /** Photo checks after restarts, every one passed. */
  photoChecks: number;
  meanStartupMs: number;
  elapsedMs: number;
}

const PUBLIC_URL = "http://portrait.test";

export async function runCrashSoak(options: CrashSoakOptions): Promise<CrashSoakSummary> {
  const started = Date.now();
  const streams = options.streams ?? 6;
  const [minDelay, maxDelay] = options.killAfterMs ?? [100, 1500];
  const log = options.log ?? (() => {});
  const killRandom = createRandom(options.seed);
  const planner = createUploadPlanner(createRandom(options.seed + 1));
  const dataDir = await mkdtemp(join(tmpdir(), "portrait-crash-soak-"));
  const scratch = join(dataDir, "integrity-copy");
  await mkdir(scratch);
  const dbPath = join(dataDir, "portrait.db");
  const issuer = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
  const summary: CrashSoakSummary = {
    iterations: 0,
    streams,
    seed: options.seed,
    kills: 0,
    uploadsSent: 0,
    uploadsAcknowledged: 0,
    inFlightAtKill: 0,
    committedWithoutAnswer: 0,
    photoChecks: 0,
    meanStartupMs: 0,
    elapsedMs: 0,
  };
  const startups: number[] = [];
  let server: PortraitProcess | undefined;
  let failed = true;
  const start = async () => {
    server = await startPortrait({ dataDir, publicUrl: PUBLIC_URL, entry: options.entry ?? "tsx" });
    startups.push(server.startupMs);
    return server;
  };
  const violation = (iteration: number, message: string) =>
    new Error(
      `Crash soak violation in iteration ${iteration} (seed ${options.seed}): ${message}` +
        (options.keepOnFailure ? `\nData directory kept: ${dataDir}` : ""),
    );

  try {
    const photos: PhotoState[] = [];
    for (let iteration = 1; iteration <= options.iterations + 1; iteration++) {
      const running = await start();
      const token = await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
      if (photos.length === 0) {
        for (let index = 0; index < streams; index++) {
          const created = await createUser(running.address, token, `soak-${index}@contoso.com`);
          if (!created.ok || isUnexpected(created.value)) {
            throw new Error(`could not create a user: ${JSON.stringify(created)}`);
          }
          photos.push({ index, userId: created.value, durable: undefined, inFlight: undefined });
        }
      }
      // After a kill: every photo is its last durable version or the upload in flight.
      const hadInFlight = photos.filter((photo) => photo.inFlight !== undefined).length;
      let committed = 0;
      for (const photo of iteration > 1 ? photos : []) {
        const verdict = await verifyPhoto(running.address, token, photo, planner);
        if (!verdict.ok) throw violation(iteration - 1, verdict.message);
        if (verdict.served === "inFlight") committed++;
        summary.photoChecks++;
      }
      summary.committedWithoutAnswer += committed;
      if (iteration > 1) {
        log(
          `iteration ${iteration - 1}/${options.iterations}: restarted in ${running.startupMs} ms; ` +
            `${hadInFlight} uploads were in flight at the kill, ${committed} of them committed; ` +
            `all ${photos.length} photos check out (${summary.uploadsAcknowledged} acknowledged so far)`,
        );
      }
      if (iteration > options.iterations) break;

      let killed = false;
      const ends: Promise<StreamEnd>[] = photos.map((photo) =>
        runUploadStream(photo, {
          baseUrl: running.address,
          token,
          planner,
          killed: () => killed,
          sent: () => summary.uploadsSent++,
          acknowledged: () => summary.uploadsAcknowledged++,
        }),
      );
      await sleep(randomInt(killRandom, minDelay, maxDelay));
      killed = true;
      const exit = await running.kill();
      summary.kills++;
      if (exit.signal !== "SIGKILL") {
        throw violation(iteration, `the server exited by itself first (code ${exit.code})`);
      }
      for (const [index, end] of (await Promise.all(ends)).entries()) {
        if (end.kind === "violation") throw violation(iteration, end.message);
        const photo = photos[index];
        if (!photo?.inFlight) continue;
        // A request that never reached the server is not in flight.
        if (end.failure.code === "ECONNREFUSED" || end.failure.code === "NOT_SENT") {
          photo.inFlight = undefined;
        } else summary.inFlightAtKill++;
      }

      // The database as the kill left it, checked offline on a copy (the server recovers the
      // original itself on restart).
      for (const suffix of ["", "-wal"]) {
        await copyFile(dbPath + suffix, join(scratch, `portrait.db${suffix}`)).catch(
          (error: NodeJS.ErrnoException) => {
            if (error.code !== "ENOENT") throw error;
          },
        );
      }
      const problems = sqliteIntegrityCheck(join(scratch, "portrait.db"));
      if (problems.length > 0)
        throw violation(iteration, `integrity check: ${problems.join("; ")}`);
      for (const suffix of ["", "-wal", "-shm"]) {
        await rm(join(scratch, `portrait.db${suffix}`), { force: true });
      }
      summary.iterations = iteration;
    }

    // A clean stop at the end, then the file itself must be sound.
    const last = server as PortraitProcess | undefined;
    last?.signal("SIGTERM");
    const exit = await last?.exited;
    if (exit && exit.code !== 0) throw violation(summary.iterations, `SIGTERM exit ${exit.code}`);
    const problems = sqliteIntegrityCheck(dbPath);
    if (problems.length > 0)
      throw violation(summary.iterations, `final integrity: ${problems.join("; ")}`);
    failed = false;
  } finally {
    await server?.kill();
    if (!failed || !options.keepOnFailure) await rm(dataDir, { recursive: true, force: true });
  }
  summary.meanStartupMs = Math.round(startups.reduce((a, b) => a + b, 0) / startups.length);
  summary.elapsedMs = Date.now() - started;
  return summary;
}
