/**
 * Crash soak: kill -9 the real server at random moments during streams of uploads, restart it
 * on the same data directory, and check that no acknowledged photo is lost or changed, that no
 * photo mixes sizes of two uploads, and that the database passes its integrity check.
 * Usage: node --import tsx scripts/crash-soak.ts [--iterations N] [--seed S] [--streams K]
 */
import { parseArgs } from "node:util";
import { runCrashSoak } from "./crash-soak/soak.ts";

const HELP = `Usage: node --import tsx scripts/crash-soak.ts [options]

Starts Portrait (src/main.ts) on a temporary SQLite data directory and repeats: run K upload
streams (one user's photo each), kill -9 the server at a random moment, check the database file
offline, restart, and check every photo: it is the last acknowledged upload byte for byte, or the
upload in flight at the kill, complete, never a mix of two uploads. Stops at the first violation
(exit 1) and keeps the data directory for inspection.

Options:
  --iterations N   kills to perform (default 300)
  --seed S         seed of the kill moments and image sizes (default: random, printed)
  --streams K      concurrent upload streams (default 6)
  --min-delay MS   earliest kill after the server is up (default 100)
  --max-delay MS   latest kill after the server is up (default 1500)
  --dist           run the built dist/main.js instead of the sources
  -h, --help       this text`;

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "300" },
    seed: { type: "string" },
    streams: { type: "string", default: "6" },
    "min-delay": { type: "string", default: "100" },
    "max-delay": { type: "string", default: "1500" },
    dist: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const number = (name: string, raw: string | undefined, min: number): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be a whole number of at least ${min}, got ${raw}`);
    process.exit(2);
  }
  return value;
};
const seed =
  values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number("seed", values.seed, 0);
const minDelay = number("min-delay", values["min-delay"], 0);
const maxDelay = number("max-delay", values["max-delay"], minDelay);

console.log(`crash soak: seed ${seed}`);
try {
  const summary = await runCrashSoak({
    iterations: number("iterations", values.iterations, 1),
    streams: number("streams", values.streams, 1),
    seed,
    killAfterMs: [minDelay, maxDelay],
    entry: values.dist ? "dist" : "tsx",
    keepOnFailure: true,
    log: (line) => console.log(line),
  });
  console.log(
    [
      "crash soak passed:",
      `  iterations (kill -9)          ${summary.kills}`,
      `  upload streams                ${summary.streams}`,
      `  uploads sent / acknowledged   ${summary.uploadsSent} / ${summary.uploadsAcknowledged}`,
      `  uploads in flight at a kill   ${summary.inFlightAtKill} (${summary.committedWithoutAnswer} committed without their 200)`,
      `  photo checks after restarts   ${summary.photoChecks}`,
      `  mean server startup           ${summary.meanStartupMs} ms`,
      `  elapsed                       ${(summary.elapsedMs / 1000).toFixed(1)} s`,
      `  seed                          ${summary.seed}`,
    ].join("\n"),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
