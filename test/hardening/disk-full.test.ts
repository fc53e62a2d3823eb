/**
 * A real full disk and a real read-only data directory: the SQLite store on a small tmpfs
 * mounted for this test (needs root; skipped with the reason otherwise). Filled up with a filler
 * file, uploads must fail with 503 `serviceNotAvailable` in Graph's shape while the photo already
 * stored is still served, and succeed again without a restart once the filler is gone.
 * A filesystem cannot be made read-only under a running service here (the kernel refuses to
 * remount while the database is open for writing), so the read-only case is a data directory
 * that is read-only when Portrait starts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeCodedJpeg, readCode } from "../../scripts/lib/colour-code.ts";
import { isUnexpected, readSize, uploadPhoto } from "../../scripts/lib/graph-photos.ts";
import { header } from "../../scripts/lib/http-client.ts";
import { sqliteIntegrityCheck } from "../../src/storage/sqlite/integrity.ts";
import { startService, type TestService } from "../helpers/service.ts";

let mountPoint = "";
let unmountable: string | undefined;
let service: TestService | undefined;

before(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), "portrait-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", mountPoint], {
      stdio: "pipe",
    });
  } catch (error) {
    unmountable = `cannot mount a 3 MB tmpfs here (needs root): ${(error as Error).message.split("\n")[0]}`;
  }
});

/** Closes the running service, if any. */
async function stopService(): Promise<void> {
  const running = service;
  service = undefined;
  await running?.close();
}

after(async () => {
  await stopService();
  if (!unmountable) execFileSync("umount", [mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

/** The store and the development key on the small filesystem. */
async function startOnMount(): Promise<{ base: string; token: string }> {
  service = await startService({
    DATA_DIR: mountPoint,
    DATABASE_URL: `sqlite:${join(mountPoint, "portrait.db")}`,
  });
  await service.app.listen({ host: "127.0.0.1", port: 0 });
  const port = (service.app.server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    token: await service.appToken(["User.ReadWrite.All"]),
  };
}

/** Writes a filler file until the filesystem refuses one more byte; returns its path. */
function fillUp(): string {
  const path = join(mountPoint, "filler");
  const fd = openSync(path, "w");
  try {
    for (const chunk of [65_536, 4096, 512, 1]) {
      const bytes = Buffer.alloc(chunk, 1);
      for (;;) {
        try {
          writeSync(fd, bytes);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The id in the bytes of `/photo/$value`, with the ETag it was served with. */
async function servedPhoto(base: string, token: string, userId: string) {
  const read = await readSize(base, token, userId);
  assert.ok(read.ok && !isUnexpected(read.value), `photo/$value: ${JSON.stringify(read)}`);
  const code = await readCode(read.value.bytes);
  assert.ok(code.ok, "the served photo decodes");
  return { id: code.id, etag: read.value.etag };
}

describe("a full disk", () => {
  test("uploads get 503 serviceNotAvailable, the stored photo is still served, and uploads work again once space is freed", async (t) => {
    if (unmountable) return t.skip(unmountable);
    const { base, token } = await startOnMount();
    const userId = await (service as TestService).createUser("full@contoso.com");
    const put = (id: number) =>
      makeCodedJpeg(id, 700, 660).then((image) => uploadPhoto(base, token, userId, image));

    const first = await put(1);
    assert.ok(first.ok && first.value.status === 200, "the first upload is stored");
    let stored = await servedPhoto(base, token, userId);

    const filler = fillUp();
    // The WAL may still have room for a few writes; keep uploading until the disk says no.
    let refused: Awaited<ReturnType<typeof put>> | undefined;
    let storedWhileFull = 0;
    for (let id = 2; id < 40 && !refused; id++) {
      const answer = await put(id);
      assert.ok(answer.ok, `upload ${id} got an HTTP answer`);
      if (answer.value.status !== 200) refused = answer;
      else {
        storedWhileFull++;
        stored = await servedPhoto(base, token, userId);
      }
    }
    t.diagnostic(`${storedWhileFull} uploads still fitted in the WAL after the disk was full`);
    assert.ok(refused?.ok, "an upload was refused while the disk was full");
    const answer = refused.value;
    assert.ok([503, 507].includes(answer.status), `status ${answer.status}: ${answer.body}`);
    const body = JSON.parse(answer.body.toString("utf8"));
    assert.equal(body.error.code, "serviceNotAvailable");
    assert.equal(typeof body.error.message, "string");
    assert.equal(typeof body.error.innerError["request-id"], "string");
    assert.ok(header(answer, "retry-after"), "a Retry-After header");

    // The photo stored before is served, unchanged, while the disk is still full.
    assert.deepEqual(await servedPhoto(base, token, userId), stored);

    unlinkSync(filler);
    const again = await put(100);
    assert.ok(again.ok && again.value.status === 200, "an upload succeeds once space is back");
    assert.equal((await servedPhoto(base, token, userId)).id, 100);

    await stopService();
    assert.deepEqual(sqliteIntegrityCheck(join(mountPoint, "portrait.db")), []);
  });
});

describe("a read-only data directory", () => {
  test("Portrait starts on it, serves the stored photo and answers uploads with 503", async (t) => {
    if (unmountable) return t.skip(unmountable);
    let { base, token } = await startOnMount();
    const userId = await (service as TestService).createUser("readonly@contoso.com");
    const first = await uploadPhoto(base, token, userId, await makeCodedJpeg(7, 300, 300));
    assert.ok(first.ok && first.value.status === 200);
    const stored = await servedPhoto(base, token, userId);
    await stopService();

    execFileSync("mount", ["-o", "remount,ro", mountPoint]);
    try {
      ({ base, token } = await startOnMount());
      // Ready: it serves what is stored; only writes are refused.
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      assert.deepEqual(await servedPhoto(base, token, userId), stored);
      const refused = await uploadPhoto(base, token, userId, await makeCodedJpeg(8, 300, 300));
      assert.ok(refused.ok, "the upload got an HTTP answer");
      assert.equal(refused.value.status, 503, refused.value.body.toString("utf8"));
      assert.equal(
        JSON.parse(refused.value.body.toString("utf8")).error.code,
        "serviceNotAvailable",
      );
      assert.deepEqual(await servedPhoto(base, token, userId), stored);
    } finally {
      await stopService();
      execFileSync("mount", ["-o", "remount,rw", mountPoint]);
    }
  });
});
