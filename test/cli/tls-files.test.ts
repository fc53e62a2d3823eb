/**
 * TLS settings that cannot work stop startup with a message naming the setting and its file,
 * not a bare OpenSSL error: the process as an operator starts it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

test("a missing or non-PEM TLS file stops startup, naming the setting and the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "portrait-tls-"));
  try {
    const junk = join(dir, "junk.pem");
    await writeFile(junk, "not a certificate\n");
    const start = (certFile: string, keyFile: string) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH ?? "",
          DATA_DIR: join(dir, "data"),
          PORT: "0",
          TLS_CERT_FILE: certFile,
          TLS_KEY_FILE: keyFile,
        },
        encoding: "utf8",
        timeout: 30_000,
      });
    const missing = start(join(dir, "absent.pem"), junk);
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /TLS_CERT_FILE=\S*absent\.pem: cannot be read/);
    const notPem = start(junk, junk);
    assert.equal(notPem.status, 1, notPem.stderr);
    assert.match(notPem.stderr, /TLS_CERT_FILE=\S*junk\.pem, TLS_KEY_FILE=\S*junk\.pem: not a PEM/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
