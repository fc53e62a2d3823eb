/**
 * The short form of scripts/crash-soak.ts, end to end over HTTP: the real server (src/main.ts)
 * is killed with SIGKILL at random moments while 16 upload streams run, and restarted on the
 * same data directory. After each kill the database passes its integrity check, and every photo
 * is its last acknowledged upload byte for byte, or the upload that was in flight at the kill,
 * complete; never an older one, another user's, or a mix of two uploads' sizes.
 * The seed is random (printed; PORTRAIT_CRASH_SEED=<n> replays its kill moments and images).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCrashSoak } from "../../scripts/crash-soak/soak.ts";

const ITERATIONS = 16;
const STREAMS = 24;

test(`kill -9 at ${ITERATIONS} random moments during ${STREAMS} upload streams loses and mixes nothing`, {
  timeout: 900_000,
}, async (t) => {
  const seed = Number(process.env.PORTRAIT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed}`);
  const summary = await runCrashSoak({
    iterations: ITERATIONS,
    streams: STREAMS,
    seed,
    killAfterMs: [50, 1200],
  });
  t.diagnostic(
    `${summary.kills} kills; ${summary.uploadsAcknowledged} of ${summary.uploadsSent} uploads ` +
      `acknowledged; ${summary.inFlightAtKill} uploads in flight at a kill ` +
      `(${summary.committedWithoutAnswer} committed without their 200); ` +
      `${summary.photoChecks} photo checks; mean restart ${summary.meanStartupMs} ms; ` +
      `${(summary.elapsedMs / 1000).toFixed(1)} s`,
  );
  assert.equal(summary.kills, ITERATIONS);
  assert.equal(summary.photoChecks, ITERATIONS * STREAMS);
  assert.ok(summary.uploadsAcknowledged > 0, "uploads were acknowledged between kills");
  assert.ok(summary.inFlightAtKill > 0, "kills hit uploads in flight");
});
