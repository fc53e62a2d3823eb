#!/usr/bin/env node
// Runs the whole test suite: every test/**/*.test.ts file under Node's test runner, with tsx.
// Usage: npm test [-- file-or-substring ...]   (e.g. npm test -- storage)
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "Usage: npm test [-- <substring> ...]\nRuns test/**/*.test.ts (all, or those whose path contains a substring).",
  );
  process.exit(0);
}
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
const chosen = args.length === 0 ? files : files.filter((f) => args.some((a) => f.includes(a)));
if (chosen.length === 0) {
  console.error(`No test file matches ${args.join(" ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", ...chosen.sort()],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
