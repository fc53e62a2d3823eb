/**
 * A store-level microbenchmark behind the SQLite choices in BENCHMARKS.md: CPU time of the
 * queries a photo GET runs, on the real schema and real photo rows, with few and many photos
 * stored, with SQLite's default page cache against Portrait's, and with SQLite's default page
 * size against Portrait's. CPU time (not wall time), so that a busy machine changes the figures
 * little. The store's own read cache is not in play here: these are the reads it saves.
 *
 *   node --import tsx bench/lookup.ts [--sizes 1000,20000] [--page-sizes 4096,16384] [--help]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteConnection } from "../src/storage/sqlite/connection.ts";
import { migrate } from "../src/storage/sqlite/migrations.ts";
import { prepareStatements } from "../src/storage/sqlite/statements.ts";
import { intFlag, listFlag, readFlags } from "./lib/cli.ts";
import { printHeader } from "./lib/machine.ts";
import { printTable, round } from "./lib/report.ts";
import { encodeSizes, PHONE_IMAGE, seedPhotos } from "./lib/seed.ts";

const flags = readFlags(
  "Usage: node --import tsx bench/lookup.ts [options]\n\n" +
    "CPU time per query of a photo GET against SQLite, by photos stored and page cache size.",
  {
    sizes: { type: "string", default: "1000,20000", help: "photos stored" },
    users: { type: "string", default: "1000", help: "distinct users looked up, spread over all" },
    caches: {
      type: "string",
      default: "2000,32768",
      help: "page cache sizes, KiB (2000: SQLite's default)",
    },
    "page-sizes": {
      type: "string",
      default: "4096,16384",
      help: "database page sizes, bytes (4096: SQLite's default)",
    },
    count: { type: "string", default: "20000", help: "lookups per measurement (5 measurements)" },
  },
);
const sizes = listFlag(flags, "sizes").map(Number);
const users = intFlag(flags, "users", 1);
const caches = listFlag(flags, "caches").map(Number);
const pageSizes = listFlag(flags, "page-sizes").map(Number);
const count = intFlag(flags, "count", 1);

printHeader("SQLite lookups of a photo GET (microbenchmark)", {
  stored: sizes.join(", "),
  users: `${users} distinct, evenly spread`,
  "page cache": caches.map((kib) => `${kib} KiB`).join(", "),
  "page size": pageSizes.map((bytes) => `${bytes} bytes`).join(", "),
  measure: `process CPU time over ${count} lookups, median of 5 (after ${count} warm-up)`,
});

const encoded = await encodeSizes(PHONE_IMAGE);
const rows: string[][] = [];
for (const size of sizes) {
  const dir = await mkdtemp(join(tmpdir(), "portrait-bench-lookup-"));
  try {
    const seeded = await seedPhotos({
      dataDir: dir,
      publicUrl: "http://bench.invalid",
      count: size,
      sizes: encoded,
    });
    const picked = Array.from(
      { length: Math.min(users, size) },
      (_, i) => seeded.users[Math.floor((i * size) / Math.min(users, size))]?.id ?? "",
    );
    const tenantId = seeded.tenantId;
    for (const pageSize of pageSizes) {
      const file = copyWithPageSize(join(dir, "portrait.db"), pageSize);
      for (const kib of caches) {
        const db = openSqliteConnection(file);
        try {
          db.pragma(`cache_size = -${kib}`);
          const s = prepareStatements(db);
          const queries: [string, (id: string) => unknown][] = [
            ["user row (getObject)", (id) => s.getObject.get({ tenantId, kind: "user", id })],
            [
              "user + 48x48 metadata (one query)",
              (id) => s.getSizeInfo.get({ tenantId, id, kind: "user", edge: 48 }),
            ],
            [
              "user + largest metadata (one query)",
              (id) => s.getLargestSizeInfo.get({ tenantId, id, kind: "user" }),
            ],
            ["all nine sizes' metadata", (id) => s.listSizes.all({ tenantId, ownerId: id })],
            ["48x48 bytes", (id) => s.getSize.get({ tenantId, ownerId: id, edge: 48 })],
            ["648x648 bytes", (id) => s.getSize.get({ tenantId, ownerId: id, edge: 648 })],
          ];
          for (const [name, query] of queries) {
            const micros = round(cpuMicros(query, picked), 1);
            rows.push([String(size), `${pageSize}`, `${kib} KiB`, name, micros]);
          }
        } finally {
          db.close();
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
printTable(["photos stored", "page size", "page cache", "query", "CPU µs per query"], rows);

/**
 * The seeded database itself when its pages are `pageSize` bytes, else a copy (rows and schema
 * alike) in a new file with `pageSize` pages.
 */
function copyWithPageSize(source: string, pageSize: number): string {
  const seeded = new Database(source, { readonly: true });
  const own = seeded.pragma("page_size", { simple: true });
  seeded.close();
  if (own === pageSize) return source;
  const target = `${source}.${pageSize}`;
  const db = new Database(target);
  try {
    db.pragma(`page_size = ${pageSize}`);
    db.pragma("journal_mode = WAL");
    migrate(db);
    db.prepare("ATTACH ? AS source").run(source);
    db.exec(`INSERT INTO objects SELECT * FROM source.objects;
             INSERT INTO photo_sizes SELECT * FROM source.photo_sizes;`);
    db.exec("DETACH source");
    if (db.pragma("page_size", { simple: true }) !== pageSize) {
      throw new Error(`SQLite did not take page size ${pageSize}`);
    }
  } finally {
    db.close();
  }
  return target;
}

function cpuMicros(query: (id: string) => unknown, ids: readonly string[]): number {
  for (let i = 0; i < count; i++) query(ids[i % ids.length] as string);
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = process.cpuUsage();
    for (let i = 0; i < count; i++) query(ids[i % ids.length] as string);
    const spent = process.cpuUsage(started);
    runs.push((spent.user + spent.system) / count);
  }
  return runs.sort((a, b) => a - b)[2] as number;
}
