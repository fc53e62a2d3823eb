/**
 * Several processes opening one new SQLite database at the same moment, as two workers (or a
 * worker and `portrait seed`) starting on a fresh DATA_DIR do: every one of them opens it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const CHILD = new URL("./fixtures/open-sqlite.ts", import.meta.url).pathname;
const run = promisify(execFile);

test("three processes opening one new database at once all open it, in every round", async () => {
  for (let round = 0; round < 6; round++) {
    const dir = await mkdtemp(join(tmpdir(), "portrait-open-race-"));
    try {
      const file = join(dir, "portrait.db");
      const at = String(Date.now() + 1000);
      const outcomes = await Promise.all(
        [1, 2, 3].map(() => run(process.execPath, ["--import", "tsx", CHILD, file, at])),
      );
      for (const { stdout } of outcomes) assert.equal(stdout.trim(), "opened", `round ${round}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});
