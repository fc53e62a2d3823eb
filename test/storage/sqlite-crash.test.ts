/**
 * Kills a process that is replacing a photo with SIGKILL at random moments, then checks that
 * the file is sound, the photo is one complete write, and no acknowledged write was lost.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { sqliteIntegrityCheck } from "../../src/storage/sqlite/integrity.ts";
import { openSqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";
import { assertPhoto } from "./contract-helpers.ts";
import { CRASH_OWNER, CRASH_TENANT, crashPhoto, writeOf } from "./fixtures/crash-photo.ts";

const ITERATIONS = 20;
const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const child = fileURLToPath(new URL("fixtures/replace-photo-loop.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "portrait-crash-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts the writer; resolves once it has committed at least one write. */
async function startWriter(path: string) {
  const proc: ChildProcess = spawn(process.execPath, ["--import", "tsx", child, path], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const closed = once(proc, "close");
  let lastCommitted = 0;
  let started: () => void = () => {};
  const firstCommit = new Promise<void>((resolve) => {
    started = resolve;
  });
  assert.ok(proc.stdout);
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const match = /^committed (\d+)$/.exec(line);
    if (!match) return;
    lastCommitted = Number(match[1]);
    started();
  });
  await Promise.race([
    firstCommit,
    closed.then(() => assert.fail("the writer exited before its first write")),
  ]);
  return {
    /** SIGKILLs the writer; resolves with the last write it reported, once all output is in. */
    async kill(): Promise<number> {
      proc.kill("SIGKILL");
      const [code, signal] = await closed;
      assert.equal(signal, "SIGKILL", `the writer ended by itself (code ${code})`);
      return lastCommitted;
    },
  };
}

test(`SIGKILL during replacePhoto never leaves a mixed or broken photo (${ITERATIONS} kills)`, {
  timeout: 180_000,
}, async () => {
  const path = join(root, "crash.db");
  let acknowledged = 0;
  let previous = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const writer = await startWriter(path);
    await sleep(Math.floor(Math.random() * 120));
    acknowledged = Math.max(acknowledged, await writer.kill());

    assert.deepEqual(sqliteIntegrityCheck(path), [], `integrity after kill ${i + 1}`);
    const store = openSqliteStore({ path });
    try {
      const sizes = await store.listPhotoSizes(CRASH_TENANT, CRASH_OWNER);
      const writes = new Set(sizes.map((size) => writeOf(size.etag)));
      assert.equal(writes.size, 1, `kill ${i + 1}: sizes from writes ${[...writes].join(", ")}`);
      const write = [...writes][0] ?? Number.NaN;
      assert.ok(write >= acknowledged, `write ${acknowledged} was acknowledged, found ${write}`);
      assert.ok(write >= previous, "the photo went back in time");
      await assertPhoto(store, CRASH_TENANT, CRASH_OWNER, crashPhoto(write));
      previous = write;
    } finally {
      await store.close();
    }
  }
});
