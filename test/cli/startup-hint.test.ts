/**
 * The command the startup log prints for getting a token: run as printed, in a shell without
 * the service's environment, it mints a token the service accepts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { tokenCommandHint } from "../../src/cli/token.ts";
import { loadConfig } from "../../src/config.ts";
import { type PortraitProcess, spawnPortrait } from "../helpers/portrait-process.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const HINT = /"msg":"Get a token: (.+?)"}/;

let dataDir: string;
let portrait: PortraitProcess | undefined;

before(async () => {
  // A space and a quote, which the printed command must quote for the shell.
  dataDir = await mkdtemp(join(tmpdir(), "portrait hint's "));
});
after(async () => {
  await portrait?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test("with the default settings the hint is the README's command", () => {
  assert.equal(
    tokenCommandHint(loadConfig({})),
    "TOKEN=$(npx portrait token --app --roles User.ReadWrite.All)",
  );
});

test("the printed command, run elsewhere, mints a token for a service on another port and data directory", async () => {
  portrait = await spawnPortrait({ DATA_DIR: dataDir });
  // The hint follows the "listening" line that `spawnPortrait` waits for.
  for (let waited = 0; !HINT.test(portrait.output()) && waited < 10_000; waited += 20) {
    await sleep(20);
  }
  const printed = HINT.exec(portrait.output())?.[1];
  assert.ok(printed, `no "Get a token" line in:\n${portrait.output()}`);
  const command = JSON.parse(`"${printed}"`) as string;
  assert.match(command, /PUBLIC_URL=http:\/\/127\.0\.0\.1:\d+ /);

  // The same command with the CLI from this checkout in place of `npx portrait`, in a shell
  // that has none of the service's settings.
  const local = command.replace("npx portrait", `'${process.execPath}' --import tsx src/cli.ts`);
  const shell = spawnSync("sh", ["-c", `${local} && printf %s "$TOKEN"`], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    encoding: "utf8",
  });
  assert.equal(shell.status, 0, shell.stderr);
  const token = shell.stdout;

  const users = await fetch(`${portrait.url}/v1.0/users`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(users.status, 200, await users.clone().text());
});
