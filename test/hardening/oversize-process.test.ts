/**
 * An upload over the limit, sent by fetch to a Portrait process: the client reads the 413.
 * Client and server run in separate processes, as in production (in one process the client
 * has written its whole body before the server runs, which hides the problem). Portrait used to
 * close the connection while the body was still arriving; the client's write then failed
 * (EPIPE) before it read the answer, and fetch and the Graph SDKs reported "fetch failed".
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { type PortraitProcess, spawnPortrait } from "../helpers/portrait-process.ts";

const PUBLIC_URL = "http://portrait.test";
const LIMIT = 4 * 1024 * 1024;

let dataDir: string;
let portrait: PortraitProcess | undefined;
let auth: Record<string, string>;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "portrait-oversize-"));
  const issuer = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
  auth = {
    authorization: `Bearer ${await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] })}`,
  };
  portrait = await spawnPortrait({ DATA_DIR: dataDir, PUBLIC_URL, LOG_LEVEL: "warn" });
});

after(async () => {
  await portrait?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test("fetch uploading more than 4 MB to a Portrait process reads its 413", async () => {
  const base = `${portrait?.url}/v1.0`;
  const created = await fetch(`${base}/users`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ displayName: "Big", userPrincipalName: "big@portrait.test" }),
  });
  assert.equal(created.status, 201);
  for (const size of [LIMIT + 1, 5_000_000, 8 * 1024 * 1024]) {
    const response = await fetch(`${base}/users/big@portrait.test/photo/$value`, {
      method: "PUT",
      headers: { ...auth, "content-type": "image/jpeg" },
      body: Buffer.alloc(size, 1),
    });
    assert.equal(response.status, 413, `${size} bytes`);
    const { error } = (await response.json()) as { error: { code: string } };
    assert.equal(error.code, "RequestEntityTooLarge");
  }
  const none = await fetch(`${base}/users/big@portrait.test/photo`, { headers: auth });
  assert.equal(none.status, 404, "nothing stored");
});
