#!/usr/bin/env node
// Runs the whole test suite under Node's test runner, with tsx, in two passes:
//   1. SQLite: every test/**/*.test.ts file except the PostgreSQL-only ones;
//   2. PostgreSQL: the PostgreSQL-only files (name containing "postgres" or "multi-process"),
//      then the test/http/ files a second time, with PORTRAIT_TEST_DATABASE_URL set so that
//      every test service stores its data in PostgreSQL (a schema of its own, dropped after).
// Usage: npm test [-- [--sqlite-only] file-or-substring ...]   (e.g. npm test -- storage)
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import pg from "pg";

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(`Usage: npm test [-- [--sqlite-only] <substring> ...]
Runs test/**/*.test.ts (all, or those whose path contains a substring) in two passes:
  1. SQLite      every file except the PostgreSQL-only ones
  2. PostgreSQL  the PostgreSQL-only files, and the test/http/ files again
PostgreSQL: PORTRAIT_TEST_DATABASE_URL (default ${DEFAULT_DATABASE_URL}).
--sqlite-only skips the second pass.`);
  process.exit(0);
}
const sqliteOnly = args.includes("--sqlite-only");
const filters = args.filter((arg) => arg !== "--sqlite-only");

const root = new URL("..", import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith(".test.ts")) files.push(relative(root, path));
  }
};
walk(join(root, "test"));
files.sort();

const chosen =
  filters.length === 0 ? files : files.filter((f) => filters.some((a) => f.includes(a)));
if (chosen.length === 0) {
  console.error(`No test file matches ${filters.join(" ")}`);
  process.exit(1);
}
const postgresOnly = (file) => /postgres|multi-process/.test(file.split("/").pop());
const databaseUrl = process.env.PORTRAIT_TEST_DATABASE_URL || DEFAULT_DATABASE_URL;

const { PORTRAIT_TEST_DATABASE_URL: _unused, ...sqliteEnv } = process.env;
const passes = [
  { name: "SQLite", files: chosen.filter((f) => !postgresOnly(f)), env: sqliteEnv },
  {
    name: `PostgreSQL (${databaseUrl.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")})`,
    files: sqliteOnly
      ? []
      : [
          ...chosen.filter(postgresOnly),
          ...chosen.filter((f) => f.startsWith("test/http/") && !postgresOnly(f)),
        ],
    env: { ...process.env, PORTRAIT_TEST_DATABASE_URL: databaseUrl },
    skipped: sqliteOnly ? "--sqlite-only" : undefined,
  },
];

/** Why PostgreSQL cannot be used, or undefined when it answers. */
async function postgresProblem(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || String(error.code) : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const failed = [];
for (const pass of passes) {
  if (pass.files.length === 0) {
    console.log(`\n=== Pass ${pass.name}: skipped (${pass.skipped ?? "no matching file"})\n`);
    continue;
  }
  const problem = pass.env.PORTRAIT_TEST_DATABASE_URL
    ? await postgresProblem(pass.env.PORTRAIT_TEST_DATABASE_URL)
    : undefined;
  if (problem) {
    console.error(
      `\n=== Pass ${pass.name}: FAILED, PostgreSQL is not reachable: ${problem}\n` +
        "Start it, point PORTRAIT_TEST_DATABASE_URL at a server, or run: npm test -- --sqlite-only",
    );
    failed.push(pass.name);
    continue;
  }
  console.log(`\n=== Pass ${pass.name}: ${pass.files.length} test files\n`);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=1", ...pass.files],
    { cwd: root, stdio: "inherit", env: pass.env },
  );
  const status = result.status ?? 1;
  console.log(`\n=== Pass ${pass.name}: ${status === 0 ? "passed" : `FAILED (exit ${status})`}`);
  if (status !== 0) failed.push(pass.name);
}
if (failed.length > 0) {
  console.error(`\nFailed passes: ${failed.join(", ")}`);
  process.exit(1);
}
