#!/usr/bin/env node
// The `portrait` command. Runs the compiled CLI; `npm install` builds it (the `prepare` script).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("portrait: dist/ is missing; run 'npm run build' (npm install does it) first.");
  process.exit(1);
}
await import(cli.href);
