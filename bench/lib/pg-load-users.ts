/**
 * Fills a PostgreSQL schema with users that have a photo, straight through the store (no HTTP):
 * one photo's JPEG sizes are made once and stored for every user; many store calls run at once.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import sharp from "sharp";
import { etagOf } from "../../src/photos/photo-service.ts";
import type { StoredSize } from "../../src/photos/store.ts";
import { openPostgresStore } from "../../src/storage/postgres/postgres-store.ts";

export interface LoadUsersOptions {
  databaseUrl: string;
  schema: string;
  tenantId: string;
  users: number;
  /** Store calls in flight. */
  concurrency: number;
}

/** The edges stored per user: what a 96 px upload yields. */
export const BENCH_EDGES = [48, 64, 96] as const;

async function photoSizes(): Promise<StoredSize[]> {
  const base = sharp({
    create: { width: 96, height: 96, channels: 3, background: { r: 40, g: 120, b: 200 } },
  });
  return Promise.all(
    BENCH_EDGES.map(async (edge) => {
      const bytes = await base.clone().resize(edge, edge).jpeg({ quality: 85 }).toBuffer();
      return { edge, etag: etagOf(bytes), bytes };
    }),
  );
}

/**
 * The loader's connections do not wait for the WAL flush at each commit (the servers' do):
 * benchmark data need not survive a crash, and 200,000 flushed commits would take most of the
 * run. Options in the URL replace the pool's own, so the schema is named here too.
 */
function loaderUrl(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema} -c synchronous_commit=off`);
  return url.toString();
}

/** Creates the schema and `users` users with a photo; returns their ids, printing progress. */
export async function loadUsers(options: LoadUsersOptions): Promise<string[]> {
  const store = await openPostgresStore({
    url: loaderUrl(options.databaseUrl, options.schema),
    schema: options.schema,
    poolSize: options.concurrency,
    statementTimeoutMs: 60_000,
    connectRetries: 0,
  });
  const sizes = await photoSizes();
  const ids: string[] = [];
  const started = performance.now();
  let next = 0;
  let lastReport = started;
  const loader = async () => {
    while (next < options.users) {
      const n = next++;
      const id = randomUUID();
      const upn = `bench${n}@contoso.com`;
      const inserted = await store.insertObject({
        tenantId: options.tenantId,
        id,
        kind: "user",
        ownerId: null,
        parentId: null,
        uniqueKey: upn,
        data: {
          accountEnabled: true,
          mailNickname: `bench${n}`,
          displayName: `Bench ${n}`,
          userPrincipalName: upn,
        },
      });
      if (!inserted.ok) throw new Error(`insert ${upn}: ${inserted.reason}`);
      await store.replacePhoto(options.tenantId, id, sizes);
      ids.push(id);
      const now = performance.now();
      if (now - lastReport > 5000) {
        lastReport = now;
        const rate = (ids.length * 1000) / (now - started);
        console.log(`  ${ids.length} of ${options.users} users (${rate.toFixed(0)} users/s)`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, loader));
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${options.users} users loaded into ${options.schema} in ${seconds.toFixed(1)} s`);
  await analyze(options.databaseUrl, options.schema);
  return ids;
}

/** Fresh planner statistics, as autovacuum would gather soon after a real load. */
async function analyze(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`ANALYZE "${schema}".objects, "${schema}".photo_sizes`);
  } finally {
    await client.end();
  }
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
