/**
 * The compiled service, as `npm start` runs it: `tsc -p tsconfig.build.json`, then plain Node on
 * the output, without tsx. Where this Node loads ES modules with require() (20.19 and later),
 * the service runs with that turned off, as Node 20.9 to 20.18 load modules (package.json
 * allows them): a dependency that needs a newer Node fails here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { makeJpeg } from "../helpers/images.ts";
import { type PortraitProcess, spawnPortrait } from "../helpers/portrait-process.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const oldestModuleLoading =
  process.features.require_module === true ? ["--no-experimental-require-module"] : [];

let outDir: string;
let dataDir: string;

/** Runs a compiled file with plain node; its standard output. */
function runCompiled(file: string, args: string[], env: Record<string, string>): string {
  const result = spawnSync(
    process.execPath,
    [...oldestModuleLoading, join(outDir, file), ...args],
    {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 0, `${file} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

before(async () => {
  // Inside the project, so that the compiled files find node_modules as dist/ does.
  outDir = await mkdtemp(join(projectRoot, ".test-build-"));
  dataDir = await mkdtemp(join(tmpdir(), "portrait-compiled-"));
  const tsc = join(projectRoot, "node_modules", "typescript", "bin", "tsc");
  const build = spawnSync(
    process.execPath,
    [tsc, "-p", "tsconfig.build.json", "--outDir", outDir],
    {
      cwd: projectRoot,
      encoding: "utf8",
    },
  );
  assert.equal(build.status, 0, build.stdout + build.stderr);
});
after(async () => {
  await rm(outDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

test("the compiled service and command start on plain Node and serve a photo", async () => {
  assert.match(runCompiled("cli.js", ["--help"], {}), /Usage: portrait/);
  let portrait: PortraitProcess | undefined;
  try {
    portrait = await spawnPortrait({ DATA_DIR: dataDir }, [
      ...oldestModuleLoading,
      join(outDir, "main.js"),
    ]);
    const token = runCompiled("cli.js", ["token", "--app", "--roles", "User.ReadWrite.All"], {
      DATA_DIR: dataDir,
      PUBLIC_URL: portrait.url,
    }).trim();
    const headers = { authorization: `Bearer ${token}` };
    const created = await fetch(`${portrait.url}/v1.0/users`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "Compiled", userPrincipalName: "compiled@contoso.com" }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const put = await fetch(`${portrait.url}/v1.0/users/${id}/photo/$value`, {
      method: "PUT",
      headers: { ...headers, "content-type": "image/jpeg" },
      body: await makeJpeg(120, 120),
    });
    assert.equal(put.status, 200, await put.text());
    const small = await fetch(`${portrait.url}/v1.0/users/${id}/photos/48x48/$value`, { headers });
    assert.equal(small.status, 200);
    assert.equal(small.headers.get("content-type"), "image/jpeg");
    const bytes = Buffer.from(await small.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  } finally {
    await portrait?.stop();
  }
});
