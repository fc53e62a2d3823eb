/**
 * Fills a data directory with users that each have a photo, fast.
 *
 * The nine sizes come from one real upload of a real image through Portrait's own pipeline;
 * every user then gets those sizes with a unique JPEG comment segment inserted, so every stored
 * size has its own bytes and its own content hash (as distinct photos would), at the real sizes.
 * The schema is created by opening the store (Portrait's migrations); rows are then written in
 * large batches on a second connection with `synchronous = OFF`, because the store's one
 * fsynced transaction per call would take hours at 100,000 photos. The result is read back
 * through the store API and checked before any server starts.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import Database from "better-sqlite3";
import { type DevIssuer, loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { loadConfig } from "../../src/config.ts";
import { createImageProcessor } from "../../src/image/processor.ts";
import { etagOf } from "../../src/photos/photo-service.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { openStore } from "../../src/storage/open-store.ts";

export const PHONE_IMAGE = "/work/shared/images/phone/HMD_Nokia_8.3_5G.jpg";

export interface EncodedSize {
  edge: number;
  bytes: Buffer;
}

export interface SeededUser {
  id: string;
  upn: string;
}

export interface Seeded {
  issuer: DevIssuer;
  tenantId: string;
  users: SeededUser[];
  /** Bytes of one photo's sizes together (every photo weighs the same, give or take 40 bytes). */
  photoBytes: number;
  seconds: number;
}

/** The nine sizes of `imagePath`, encoded by Portrait's upload pipeline. */
export async function encodeSizes(imagePath: string): Promise<EncodedSize[]> {
  const images = createImageProcessor({
    maxInputPixels: 50_000_000,
    concurrency: 1,
    queueLimit: 0,
  });
  return images.process(await readFile(imagePath), sizesForShortSide);
}

/** `jpeg` with a COM segment carrying `tag` right after SOI: same image, different bytes. */
export function uniqueJpeg(jpeg: Buffer, tag: string): Buffer {
  const text = Buffer.from(tag, "latin1");
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

export interface SeedOptions {
  dataDir: string;
  publicUrl: string;
  count: number;
  sizes: readonly EncodedSize[];
  /** Printed every this many photos (0: quiet). */
  progressEvery?: number;
}

const BATCH = 500;

export async function seedPhotos(options: SeedOptions): Promise<Seeded> {
  const started = performance.now();
  const issuer = await loadDevIssuer({ dataDir: options.dataDir, publicUrl: options.publicUrl });
  const tenantId = issuer.tenantId;
  const config = loadConfig({ DATA_DIR: options.dataDir, PUBLIC_URL: options.publicUrl });
  if (config.database.kind !== "sqlite") throw new Error("the benchmarks seed SQLite only");
  // Portrait's own migrations create the schema.
  await (await openStore(config)).close();

  const users: SeededUser[] = [];
  const db = new Database(config.database.path);
  try {
    db.pragma("synchronous = OFF");
    db.pragma("foreign_keys = ON");
    const seq = (db.prepare("SELECT coalesce(max(created_seq), 0) FROM objects").pluck().get() ??
      0) as number;
    const insertUser = db.prepare(
      `INSERT INTO objects (tenant_id, id, kind, owner_id, parent_id, unique_key, data, created_seq)
       VALUES (?, ?, 'user', NULL, NULL, ?, ?, ?)`,
    );
    const insertSize = db.prepare(
      "INSERT INTO photo_sizes (tenant_id, owner_id, edge, etag, bytes) VALUES (?, ?, ?, ?, ?)",
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        const upn = `user${i}@bench.example`;
        const data = {
          accountEnabled: true,
          mailNickname: `user${i}`,
          displayName: `Bench User ${i}`,
          userPrincipalName: upn,
        };
        insertUser.run(tenantId, id, upn, JSON.stringify(data), seq + i + 1);
        for (const size of options.sizes) {
          const bytes = uniqueJpeg(size.bytes, `portrait-bench ${id} ${size.edge}`);
          insertSize.run(tenantId, id, size.edge, etagOf(bytes), bytes);
        }
        users.push({ id, upn });
      }
    });
    for (let from = 0; from < options.count; from += BATCH) {
      batch(from, Math.min(options.count, from + BATCH));
      const done = Math.min(options.count, from + BATCH);
      if (options.progressEvery && done % options.progressEvery === 0) {
        console.log(
          `  seeded ${done} photos (${Math.round((performance.now() - started) / 1000)} s)`,
        );
      }
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }

  await verifyThroughStore(config, tenantId, users, options.sizes);
  const photoBytes = options.sizes.reduce((sum, size) => sum + size.bytes.length, 0);
  return { issuer, tenantId, users, photoBytes, seconds: (performance.now() - started) / 1000 };
}

/** Reads a sample back through the store API: the seeded file must look like Portrait wrote it. */
async function verifyThroughStore(
  config: ReturnType<typeof loadConfig>,
  tenantId: string,
  users: readonly SeededUser[],
  sizes: readonly EncodedSize[],
): Promise<void> {
  const store = await openStore(config);
  try {
    const sample = [users[0], users[Math.floor(users.length / 2)], users.at(-1)];
    for (const user of sample) {
      if (!user) continue;
      const found = await store.findByUniqueKey(tenantId, "user", user.upn);
      if (found?.id !== user.id) throw new Error(`seeded user ${user.upn} not found by the store`);
      const listed = await store.listPhotoSizes(tenantId, user.id);
      if (listed.map((size) => size.edge).join() !== sizes.map((size) => size.edge).join()) {
        throw new Error(`seeded sizes of ${user.id} read back wrong`);
      }
      for (const info of listed) {
        const read = await store.getPhotoSize(tenantId, user.id, info.edge);
        if (!read || etagOf(read.bytes) !== info.etag) {
          throw new Error(`seeded size ${info.edge} of ${user.id} does not match its etag`);
        }
      }
    }
  } finally {
    await store.close();
  }
}
