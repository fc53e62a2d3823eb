/**
 * Regression fixtures of the upload fuzz: every input that once made the service answer outside
 * 200/400/413/415, or kill the process, is kept in `fixtures/` and replayed before each run.
 * Before each fuzz input is sent it is written to an in-flight file of this process; if the
 * process dies on it, the next run finds the file (its process is gone) and keeps it as a
 * fixture too.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES_DIR = new URL("./fixtures/", import.meta.url).pathname;

const INFLIGHT = /^portrait-fuzz-inflight-(\d+)\.bin$/;
const inflightFile = join(tmpdir(), `portrait-fuzz-inflight-${process.pid}.bin`);

export interface Fixture {
  name: string;
  bytes: Buffer;
}

/** Every saved fixture (any file but the README), by name. */
export async function loadFixtures(): Promise<Fixture[]> {
  const names = (await readdir(FIXTURES_DIR)).filter((name) => name !== "README.md").sort();
  return Promise.all(
    names.map(async (name) => ({ name, bytes: await readFile(join(FIXTURES_DIR, name)) })),
  );
}

/** Saves `bytes` as `<kind>-<digest>.bin` (once) and returns the file's path. */
export async function saveFixture(kind: string, bytes: Uint8Array): Promise<string> {
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const path = join(FIXTURES_DIR, `${kind}-${digest}.bin`);
  await writeFile(path, bytes);
  return path;
}

/** Writes the input about to be sent; synchronous so it is on disk before the request starts. */
export function recordInflight(bytes: Uint8Array): void {
  writeFileSync(inflightFile, bytes);
}

export async function clearInflight(): Promise<void> {
  await rm(inflightFile, { force: true });
}

/** Inputs left behind by fuzz processes that died: saved as `crash-*` fixtures; their paths. */
export async function adoptCrashInputs(): Promise<string[]> {
  const adopted: string[] = [];
  for (const name of await readdir(tmpdir())) {
    const pid = Number(INFLIGHT.exec(name)?.[1] ?? Number.NaN);
    if (Number.isNaN(pid) || pid === process.pid || isAlive(pid)) continue;
    const path = join(tmpdir(), name);
    adopted.push(await saveFixture("crash", await readFile(path)));
    await rm(path, { force: true });
  }
  return adopted;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
