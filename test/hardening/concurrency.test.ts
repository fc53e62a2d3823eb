/**
 * 50 concurrent uploads of different images to one user's photo, with readers of `/photos`,
 * `/photos/{size}/$value` and `/photo/$value` running all the while over real sockets. Every
 * read must see one complete version (one upload's exact size set and bytes), and the end state
 * must be one of the uploads with matching ETags. Runs on SQLite, and on PostgreSQL when the
 * test database is reachable.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { makeCodedJpeg, readCode } from "../../scripts/lib/colour-code.ts";
import {
  isUnexpected,
  type ListedSize,
  listSizes,
  readSize,
  uploadPhoto,
} from "../../scripts/lib/graph-photos.ts";
import { createImageProcessor } from "../../src/image/processor.ts";
import { etagOf } from "../../src/photos/photo-service.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { dropSchema, freshSchemaName, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { startService, type TestService } from "../helpers/service.ts";

const UPLOADS = 50;
const SHORT_SIDES = [50, 70, 100, 130, 250, 400, 450, 520, 660];

/** One upload: its image and the exact sizes (edge -> ETag) the service must store for it. */
interface Version {
  id: number;
  image: Buffer;
  etags: Map<number, string>;
}

let versions: Version[] = [];

before(async () => {
  // The service's own pipeline is deterministic: running it here gives each upload's ETags.
  const processor = createImageProcessor({
    maxInputPixels: 50_000_000,
    concurrency: 2,
    queueLimit: 100,
  });
  versions = await Promise.all(
    Array.from({ length: UPLOADS + 1 }, async (_, id) => {
      const short = SHORT_SIDES[id % SHORT_SIDES.length] ?? 48;
      const image = await makeCodedJpeg(id, short + ((id * 37) % 150), short);
      const sizes = await processor.process(image, sizesForShortSide);
      return { id, image, etags: new Map(sizes.map((s) => [s.edge, etagOf(s.bytes)])) };
    }),
  );
});

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const schemas: string[] = [];
const sqliteDirs: string[] = [];
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
  for (const dir of sqliteDirs) await rm(dir, { recursive: true, force: true });
});

const backends: { name: string; env: () => Promise<Record<string, string> | string> }[] = [
  {
    name: "SQLite",
    env: async () => {
      const dir = await mkdtemp(join(tmpdir(), "portrait-storm-"));
      sqliteDirs.push(dir);
      return { DATABASE_URL: `sqlite:${join(dir, "portrait.db")}` };
    },
  },
  {
    name: "PostgreSQL",
    env: async () => {
      if (!(await postgresReachable())) return `no PostgreSQL at ${TEST_DATABASE_URL}`;
      const schema = freshSchemaName();
      schemas.push(schema);
      return { DATABASE_URL: TEST_DATABASE_URL, PG_SCHEMA: schema };
    },
  },
];

for (const backend of backends) {
  describe(`concurrent uploads to one photo (${backend.name})`, () => {
    let service: TestService | undefined;
    let skipped: string | undefined;
    let base = "";
    let token = "";
    let userId = "";

    before(async () => {
      const env = await backend.env();
      if (typeof env === "string") {
        skipped = env;
        return;
      }
      // Room for all 50 in the image queue: the point is 50 replacements racing, not shedding.
      service = await startService({ ...env, IMAGE_QUEUE_LIMIT: "64" });
      await service.app.listen({ host: "127.0.0.1", port: 0 });
      base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
      token = await service.appToken(["User.ReadWrite.All"]);
      userId = await service.createUser("storm@contoso.com");
    });
    after(() => service?.close());

    test(`${UPLOADS} uploads racing: every read sees one whole upload; the end state is one`, async (t) => {
      if (skipped) return t.skip(skipped);
      const problems: string[] = [];
      const byId = new Map(versions.map((v) => [v.id, v]));
      const initial = await uploadPhoto(base, token, userId, (versions[0] as Version).image);
      assert.ok(
        initial.ok && initial.value.status === 200,
        `the first photo is stored: ${JSON.stringify(initial.ok ? [initial.value.status, initial.value.body.toString()] : initial.failure)}`,
      );

      let storming = true;
      const seen = { listings: 0, sizes: 0, largest: 0, versions: new Set<number>() };
      const loop = async (read: () => Promise<void>) => {
        while (storming) await read();
      };
      const listingLoop = loop(async () => {
        const listing = await listSizes(base, token, userId);
        if (!listing.ok || isUnexpected(listing.value)) {
          problems.push(`listing: ${JSON.stringify(listing)}`);
          return;
        }
        seen.listings++;
        const owner = versionOfListing(listing.value, versions);
        if (owner === undefined)
          problems.push(`a listing of no single upload: ${JSON.stringify(listing.value)}`);
        else seen.versions.add(owner.id);
      });
      let nextEdge = 0;
      const sizeLoop = loop(async () => {
        const edge = sizesForShortSide(660)[nextEdge++ % 9] ?? 48;
        const problem = await checkBytes(base, token, userId, byId, edge);
        if (problem) problems.push(problem);
        seen.sizes++;
      });
      const largestLoop = loop(async () => {
        const problem = await checkBytes(base, token, userId, byId, undefined);
        if (problem) problems.push(problem);
        seen.largest++;
      });

      const answers = await Promise.all(
        versions.slice(1).map((version) => uploadPhoto(base, token, userId, version.image)),
      );
      storming = false;
      await Promise.all([listingLoop, sizeLoop, largestLoop]);
      t.diagnostic(
        `during the storm: ${seen.listings} listings (${seen.versions.size} versions seen), ` +
          `${seen.sizes} size reads, ${seen.largest} photo/$value reads`,
      );

      const statuses = answers.map((a) => (a.ok ? a.value.status : a.failure.code));
      assert.deepEqual(statuses, Array(UPLOADS).fill(200), "every upload succeeds");
      assert.deepEqual(problems, [], "every read during the storm saw one whole upload");
      assert.ok(seen.listings > 0 && seen.sizes > 0 && seen.largest > 0, "the readers ran");

      // The end state: exactly one upload, every size of it, ETags matching the bytes.
      const listing = await listSizes(base, token, userId);
      assert.ok(listing.ok && !isUnexpected(listing.value));
      const final = versionOfListing(listing.value, versions);
      assert.ok(
        final && final.id > 0,
        `the final listing is one of the uploads: ${JSON.stringify(listing.value)}`,
      );
      for (const listed of listing.value) {
        const size = await readSize(base, token, userId, listed.edge);
        assert.ok(size.ok && !isUnexpected(size.value));
        assert.equal(size.value.etag, listed.etag, `ETag of ${listed.edge} = its @odata.mediaEtag`);
        assert.equal(etagOf(size.value.bytes), listed.etag);
        const code = await readCode(size.value.bytes);
        assert.deepEqual(code, { ok: true, id: final.id, width: listed.edge, height: listed.edge });
      }
      assert.equal(await checkBytes(base, token, userId, byId, undefined, final.id), undefined);
    });
  });
}

/** The one upload whose exact sizes and ETags a listing shows, if any. */
function versionOfListing(listing: ListedSize[], all: Version[]): Version | undefined {
  const owners = all.filter(
    (v) => v.etags.size === listing.length && listing.every((s) => v.etags.get(s.edge) === s.etag),
  );
  return owners.length === 1 ? owners[0] : undefined;
}

/**
 * Reads one size (or the largest, `edge` undefined) and says what is wrong with it, if anything:
 * the bytes must be one upload's size of that edge, with its ETag; `/photo/$value` must be that
 * upload's largest size. A size the current photo lacks may be 404 `ImageNotFound`.
 */
async function checkBytes(
  base: string,
  token: string,
  userId: string,
  byId: Map<number, Version>,
  edge: number | undefined,
  expectedId?: number,
): Promise<string | undefined> {
  const what = edge === undefined ? "photo/$value" : `photos/${edge}x${edge}/$value`;
  const read = await readSize(base, token, userId, edge);
  if (!read.ok) return `${what}: ${read.failure.code}`;
  if (isUnexpected(read.value)) {
    const missingSize =
      edge !== undefined && read.value.status === 404 && read.value.body.includes("ImageNotFound");
    return missingSize ? undefined : `${what}: ${read.value.status} ${read.value.body}`;
  }
  const { bytes, etag } = read.value;
  const code = await readCode(bytes);
  if (!code.ok) return `${what}: ${code.problem}`;
  const version = byId.get(code.id);
  if (!version || (expectedId !== undefined && code.id !== expectedId)) {
    return `${what}: bytes of upload ${code.id}`;
  }
  const servedEdge = edge ?? Math.max(...version.etags.keys());
  if (
    code.width !== servedEdge ||
    version.etags.get(servedEdge) !== etag ||
    etagOf(bytes) !== etag
  ) {
    return `${what}: ${code.width}px of upload ${code.id} with ETag ${etag}, expected its ${servedEdge}px`;
  }
  return undefined;
}
