/**
 * Graceful shutdown of the real process under load. SIGTERM while uploads are being processed
 * and one is still sending its body: every in-flight upload finishes with 200 and is stored,
 * connections made after the signal are refused (no upload after it is stored), answers given
 * during shutdown close their keep-alive connection, and the process exits 0, i.e. before
 * SHUTDOWN_GRACE_MS ran out (main.ts exits 1 when it does). A client that
 * stalls mid-upload cannot hold the process past the grace period, and its upload is not stored.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeCodedJpeg, readCode } from "../../scripts/lib/colour-code.ts";
import {
  createUser,
  isUnexpected,
  listSizes,
  readSize,
  uploadPhoto,
} from "../../scripts/lib/graph-photos.ts";
import { send } from "../../scripts/lib/http-client.ts";
import { type PortraitProcess, startPortrait } from "../../scripts/lib/portrait-process.ts";
import { type DevIssuer, loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { openRaw, requestHead } from "../helpers/raw-http.ts";

const PUBLIC_URL = "http://portrait.test";
const running = new Set<PortraitProcess>();
const dirs: string[] = [];
after(async () => {
  for (const process of running) await process.kill();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function setUp(): Promise<{ dataDir: string; issuer: DevIssuer }> {
  const dataDir = await mkdtemp(join(tmpdir(), "portrait-shutdown-"));
  dirs.push(dataDir);
  return { dataDir, issuer: await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL }) };
}

async function start(dataDir: string, graceMs: number): Promise<PortraitProcess> {
  const server = await startPortrait({
    dataDir,
    publicUrl: PUBLIC_URL,
    env: {
      SHUTDOWN_GRACE_MS: String(graceMs),
      // Idle keep-alive connections outlive the grace period unless shutdown closes them.
      KEEP_ALIVE_TIMEOUT_MS: String(graceMs * 4),
      // One image at a time, so that several uploads are still queued when the signal comes.
      IMAGE_CONCURRENCY: "1",
    },
  });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

async function newUser(base: string, token: string, name: string): Promise<string> {
  const created = await createUser(base, token, `${name}@contoso.com`);
  assert.ok(created.ok && typeof created.value === "string", JSON.stringify(created));
  return created.value;
}

/** The id in the stored photo's bytes, its ETag and the number of sizes. */
async function stored(base: string, token: string, userId: string) {
  const largest = await readSize(base, token, userId);
  const listing = await listSizes(base, token, userId);
  assert.ok(largest.ok && !isUnexpected(largest.value), JSON.stringify(largest));
  assert.ok(listing.ok && !isUnexpected(listing.value), JSON.stringify(listing));
  const code = await readCode(largest.value.bytes);
  assert.ok(code.ok, "the stored photo decodes");
  return { id: code.id, etag: largest.value.etag, sizes: listing.value.length };
}

/** Sends the head and the first half of a PUT body, on a raw socket; the rest is up to the test. */
async function startTrickle(port: number, token: string, userId: string, image: Buffer) {
  const connection = await openRaw(port);
  const head = requestHead("PUT", `/v1.0/users/${userId}/photo/$value`, port, {
    authorization: `Bearer ${token}`,
    "content-type": "image/jpeg",
    "content-length": image.length,
  });
  const half = Math.floor(image.length / 2);
  assert.ok(await connection.write(Buffer.concat([Buffer.from(head), image.subarray(0, half)])));
  return { connection, rest: image.subarray(half) };
}

const portOf = (address: string) => Number(new URL(address).port);

test("SIGTERM under load: in-flight uploads finish and are stored, new connections are refused, exit 0", {
  timeout: 180_000,
}, async (t) => {
  const { dataDir, issuer } = await setUp();
  const token = await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
  const server = await start(dataDir, 20_000);
  const base = server.address;
  const users = [];
  for (let k = 0; k < 6; k++) users.push(await newUser(base, token, `shutdown-${k}`));
  const before = [];
  for (const [k, userId] of users.entries()) {
    const first = await uploadPhoto(base, token, userId, await makeCodedJpeg(1000 + k, 200, 200));
    assert.ok(first.ok && first.value.status === 200);
    before.push(await stored(base, token, userId));
  }

  // Four large uploads sent in full, one still sending its body, then the signal.
  const images = await Promise.all([1, 2, 3, 4, 5].map((id) => makeCodedJpeg(id, 3000, 2600)));
  let answeredBeforeSignal = 0;
  let signalled = false;
  const uploads = users.slice(0, 4).map((userId, k) =>
    uploadPhoto(base, token, userId, images[k] as Buffer).then((outcome) => {
      if (!signalled) answeredBeforeSignal++;
      return outcome;
    }),
  );
  const trickle = await startTrickle(portOf(base), token, users[4] as string, images[4] as Buffer);
  for (let jobs = 0; jobs < 3 && answeredBeforeSignal < 4; await sleep(10)) {
    const metrics = await send(base, "GET", "/metrics");
    const text = metrics.ok ? metrics.answer.body.toString("utf8") : "";
    jobs = [...text.matchAll(/^portrait_image_jobs\{state="\w+"\} (\d+)$/gm)]
      .map((match) => Number(match[1]))
      .reduce((a, b) => a + b, 0);
  }
  signalled = true;
  server.signal("SIGTERM");
  await server.waitForLog("Shutting down");

  // From now on nothing new gets in: connections are refused, or at worst answered 503.
  const lateImage = await makeCodedJpeg(6, 300, 300);
  for (let attempt = 1; ; attempt++) {
    assert.ok(attempt <= 200, "connections are still accepted long after SIGTERM");
    const late = await uploadPhoto(base, token, users[5] as string, lateImage);
    if (!late.ok) {
      assert.equal(late.failure.code, "ECONNREFUSED");
      break;
    }
    assert.equal(late.value.status, 503, "an upload after SIGTERM is not accepted");
    await sleep(10);
  }

  assert.ok(await trickle.connection.write(trickle.rest), "the rest of the body is accepted");
  const trickled = await trickle.connection.response;
  const answers = await Promise.all(uploads);
  const exit = await server.exited;
  t.diagnostic(`${4 - answeredBeforeSignal} of 4 full uploads and the trickled one were in flight`);

  assert.equal(trickled.status, 200, "the upload sending its body at SIGTERM finishes");
  assert.equal(
    trickled.headers.connection,
    "close",
    "an answer during shutdown ends its connection",
  );
  for (const [k, answer] of answers.entries()) {
    assert.ok(answer.ok, `upload ${k + 1}: ${JSON.stringify(answer)}`);
    assert.equal(answer.value.status, 200, `upload ${k + 1} finishes`);
  }
  assert.deepEqual(exit, { code: 0, signal: null }, server.logs().slice(-5).join("\n"));

  // After a restart: the acknowledged uploads, complete; the late one's user has the old photo.
  const again = await start(dataDir, 20_000);
  const nine = sizesForShortSide(2600).length;
  for (let k = 0; k < 5; k++) {
    const now = await stored(again.address, token, users[k] as string);
    assert.deepEqual([now.id, now.sizes], [k + 1, nine], `user ${k}: upload ${k + 1}, all sizes`);
  }
  assert.deepEqual(await stored(again.address, token, users[5] as string), before[5]);
  again.signal("SIGTERM");
  assert.deepEqual(await again.exited, { code: 0, signal: null });
});

test("a client stalled mid-upload cannot hold the process past the grace period", {
  timeout: 120_000,
}, async () => {
  const { dataDir, issuer } = await setUp();
  const token = await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
  const server = await start(dataDir, 1500);
  const userId = await newUser(server.address, token, "stalled");
  const first = await uploadPhoto(server.address, token, userId, await makeCodedJpeg(1, 200, 200));
  assert.ok(first.ok && first.value.status === 200);
  const old = await stored(server.address, token, userId);

  const stalled = await startTrickle(
    portOf(server.address),
    token,
    userId,
    await makeCodedJpeg(2, 1000, 1000),
  );
  server.signal("SIGTERM");
  const exit = await server.exited;
  assert.deepEqual(exit, { code: 1, signal: null });
  assert.ok(await server.waitForLog("Shutdown grace period exceeded"));
  await stalled.connection.closed;
  assert.equal(stalled.connection.hasResponse(), false, "the stalled upload got no answer");

  const again = await start(dataDir, 10_000);
  assert.deepEqual(await stored(again.address, token, userId), old, "the old photo is intact");
  again.signal("SIGTERM");
  assert.deepEqual(await again.exited, { code: 0, signal: null });
});
