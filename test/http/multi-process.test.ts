/**
 * Several Portrait processes on one PostgreSQL, as behind a load balancer: two real processes
 * (same DATABASE_URL, PG_SCHEMA, DATA_DIR and PUBLIC_URL) started at once on a fresh schema.
 * What one writes, the other serves at once; a delete is seen by both at once; concurrent
 * uploads through both end with one complete photo, and no read ever sees a mix of two uploads.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { type PortraitProcess, spawnPortrait } from "../helpers/portrait-process.ts";
import { dropSchema, freshSchemaName, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { ALL_APP_ROLES } from "../helpers/service.ts";

const PUBLIC_URL = "http://portrait.multi.test";
const schema = freshSchemaName();
let dataDir: string;
let a: PortraitProcess;
let b: PortraitProcess;
const running: PortraitProcess[] = [];
let auth: Record<string, string>;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "portrait-multi-"));
  // Created here, once, so both processes load the same development issuer key.
  const issuer = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
  auth = { authorization: `Bearer ${await issuer.mint({ app: true, roles: ALL_APP_ROLES })}` };
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    PG_SCHEMA: schema,
    PG_POOL_SIZE: "4",
    DATA_DIR: dataDir,
    PUBLIC_URL,
  };
  // Both at once, on a schema that does not exist yet: the migrations must not collide.
  const started = await Promise.allSettled([spawnPortrait(env), spawnPortrait(env)]);
  for (const outcome of started) if (outcome.status === "fulfilled") running.push(outcome.value);
  for (const outcome of started) if (outcome.status === "rejected") throw outcome.reason;
  [a, b] = running as [PortraitProcess, PortraitProcess];
});

after(async () => {
  // Always, even when a test failed: each process is stopped by its pid.
  await Promise.all(running.map((server) => server.stop()));
  await dropSchema(schema);
  await rm(dataDir, { recursive: true, force: true });
});

type Method = "GET" | "PUT" | "POST" | "DELETE";
const call = (server: PortraitProcess, method: Method, path: string, body?: Buffer | object) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...auth,
      ...(body && { "content-type": Buffer.isBuffer(body) ? "image/jpeg" : "application/json" }),
    },
    ...(body && { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
  });

async function createUser(server: PortraitProcess, upn: string): Promise<string> {
  const response = await call(server, "POST", "/v1.0/users", {
    displayName: upn,
    userPrincipalName: upn,
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

/** A JPEG of one solid colour; its sizes can be told apart by their mean colour. */
const solid = (r: number, g: number, edge = 120) =>
  sharp({ create: { width: edge, height: edge, channels: 3, background: { r, g, b: 128 } } })
    .jpeg({ quality: 95 })
    .toBuffer();

async function meanColour(jpeg: Buffer): Promise<[number, number]> {
  const { channels } = await sharp(jpeg).stats();
  return [channels[0]?.mean ?? -1, channels[1]?.mean ?? -1];
}

async function upload(server: PortraitProcess, userId: string, image: Buffer): Promise<void> {
  const response = await call(server, "PUT", `/v1.0/users/${userId}/photo/$value`, image);
  assert.equal(response.status, 200, await response.text());
}

/** What a process serves for the largest size: metadata ETag, bytes and their ETag. */
async function served(server: PortraitProcess, userId: string) {
  const meta = await call(server, "GET", `/v1.0/users/${userId}/photo`);
  const value = await call(server, "GET", `/v1.0/users/${userId}/photo/$value`);
  assert.equal(meta.status, 200, `${server.url}: ${await meta.clone().text()}`);
  assert.equal(value.status, 200, `${server.url}: ${await value.clone().text()}`);
  const { "@odata.mediaEtag": mediaEtag, id } = (await meta.json()) as Record<string, string>;
  return {
    id,
    mediaEtag,
    etag: value.headers.get("etag"),
    bytes: Buffer.from(await value.arrayBuffer()),
  };
}

/** The entity tags of every size of a user's photo, smallest first, in one request. */
async function listing(server: PortraitProcess, userId: string): Promise<string[]> {
  const response = await call(server, "GET", `/v1.0/users/${userId}/photos`);
  assert.equal(response.status, 200, await response.clone().text());
  const { value } = (await response.json()) as { value: { "@odata.mediaEtag": string }[] };
  return value.map((size) => size["@odata.mediaEtag"]);
}

describe("two Portrait processes on one PostgreSQL", () => {
  test("a photo written through one is served by the other at once, each time", async () => {
    const userId = await createUser(a, "shared@contoso.com");
    for (const [writer, reader, colour] of [
      [a, b, 40],
      [a, b, 200],
      [b, a, 120],
    ] as const) {
      await upload(writer, userId, await solid(colour, colour));
      const there = await served(reader, userId);
      const here = await served(writer, userId);
      assert.deepEqual(there, here, "both processes serve the same photo");
      assert.equal(there.etag, there.mediaEtag);
      const [red] = await meanColour(there.bytes);
      assert.ok(Math.abs(red - colour) < 4, `the new photo (${red} vs ${colour}), not a stale one`);
    }
  });

  test("a delete through one is seen by the other at once", async () => {
    const userId = await createUser(b, "deleted@contoso.com");
    await upload(b, userId, await solid(10, 250));
    assert.equal((await call(a, "GET", `/v1.0/users/${userId}/photo/$value`)).status, 200);

    assert.equal((await call(b, "DELETE", `/v1.0/users/${userId}/photo/$value`)).status, 204);
    const photo = await call(a, "GET", `/v1.0/users/${userId}/photo/$value`);
    assert.equal(photo.status, 404);
    assert.equal(((await photo.json()) as { error: { code: string } }).error.code, "ImageNotFound");

    await upload(a, userId, await solid(10, 250));
    assert.equal((await call(a, "DELETE", `/v1.0/users/${userId}`)).status, 204);
    assert.equal((await call(b, "GET", `/v1.0/users/${userId}`)).status, 404);
    assert.equal((await call(b, "GET", `/v1.0/users/${userId}/photo/$value`)).status, 404);
  });

  test("20 concurrent uploads through both: every read sees one whole upload, and so does the end", async () => {
    const colours = Array.from({ length: 20 }, (_, i) => [20 + i * 11, 235 - i * 11] as const);
    const images = await Promise.all(colours.map(([r, g]) => solid(r, g)));

    // What each upload looks like once stored: its entity tags, learnt from a user of its own
    // (image processing is deterministic, and tags are digests of the stored bytes).
    const signatures = await Promise.all(
      images.map(async (image, i) => {
        const scratch = await createUser(i % 2 === 0 ? a : b, `scratch${i}@contoso.com`);
        await upload(i % 2 === 0 ? a : b, scratch, image);
        return (await listing(i % 2 === 0 ? b : a, scratch)).join(" ");
      }),
    );
    assert.equal(new Set(signatures).size, images.length, "uploads are told apart by their tags");
    const uploadOf = (tags: string[]) => signatures.indexOf(tags.join(" "));
    const knownTags = new Set(signatures.flatMap((signature) => signature.split(" ")));

    const userId = await createUser(a, "contended@contoso.com");
    await upload(a, userId, images[0] as Buffer);

    let writing = true;
    let reads = 0;
    const reader = async (server: PortraitProcess) => {
      while (writing) {
        // One request, one snapshot: the tags of every size must be those of one upload.
        const tags = await listing(server, userId);
        assert.notEqual(uploadOf(tags), -1, `sizes from different uploads: ${tags.join(" ")}`);
        const edge = [48, 64, 96, 120][reads % 4];
        const value = await call(
          server,
          "GET",
          `/v1.0/users/${userId}/photos/${edge}x${edge}/$value`,
        );
        assert.equal(value.status, 200, await value.clone().text());
        assert.ok(knownTags.has(value.headers.get("etag") ?? ""), "the bytes of a whole upload");
        await value.arrayBuffer();
        reads++;
      }
    };
    const readers = [reader(a), reader(b)];
    try {
      await Promise.all(images.map((image, i) => upload(i % 2 === 0 ? a : b, userId, image)));
    } finally {
      writing = false;
    }
    await Promise.all(readers);
    assert.ok(reads > 0, "reads ran while the uploads did");

    const [fromA, fromB] = await Promise.all([listing(a, userId), listing(b, userId)]);
    assert.deepEqual(fromA, fromB, "both processes serve the same final photo");
    const winner = uploadOf(fromA);
    assert.notEqual(winner, -1, "the final photo is one whole upload");
    const [r, g] = colours[winner] ?? [-1, -1];
    for (const edge of [48, 64, 96, 120]) {
      const value = await call(b, "GET", `/v1.0/users/${userId}/photos/${edge}x${edge}/$value`);
      const [mr, mg] = await meanColour(Buffer.from(await value.arrayBuffer()));
      assert.ok(
        Math.abs(mr - r) < 4 && Math.abs(mg - g) < 4,
        `size ${edge} is of upload ${winner}`,
      );
    }
  });
});
