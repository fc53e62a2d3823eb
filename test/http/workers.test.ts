/** WORKERS > 1: several server processes on one port, as an operator runs them. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadDevIssuer } from "../../src/auth/dev-issuer.ts";
import { makeJpeg } from "../helpers/images.ts";
import { type PortraitProcess, spawnPortrait } from "../helpers/portrait-process.ts";

let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "portrait-workers-"));
});
after(() => rm(dataDir, { recursive: true, force: true }));

/** Pids of the processes that logged "Portrait listening on". */
function listeningPids(portrait: PortraitProcess): Set<number> {
  const pids = new Set<number>();
  for (const line of portrait.output().split("\n")) {
    try {
      const entry = JSON.parse(line) as { msg?: string; pid?: number };
      if (entry.msg?.startsWith("Portrait listening on") && entry.pid) pids.add(entry.pid);
    } catch {
      // Not a log line.
    }
  }
  return pids;
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(/\s+/).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A request on a connection of its own (the primary hands each connection to the next worker). */
function send(url: string, method: string, path: string, token: string, body?: Buffer) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method,
      agent: false,
      headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
    });
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("WORKERS", () => {
  test("WORKERS=2 serves from two worker processes, and SIGTERM stops them all", async () => {
    const portrait = await spawnPortrait({ DATA_DIR: dataDir, WORKERS: "2" });
    try {
      for (let i = 0; i < 100 && listeningPids(portrait).size < 2; i++) await sleep(100);
      const workers = listeningPids(portrait);
      assert.equal(workers.size, 2, portrait.output());
      assert.deepEqual(new Set(childrenOf(portrait.pid)), workers);
      // The primary only supervises: it never loads the server's native modules, which every
      // worker does (their shared libraries show in a process's memory map).
      const native = /sharp|libvips|better_sqlite3/;
      assert.doesNotMatch(readFileSync(`/proc/${portrait.pid}/maps`, "utf8"), native);
      for (const pid of workers) assert.match(readFileSync(`/proc/${pid}/maps`, "utf8"), native);

      // Both workers share the store: a photo written through one connection reads back on
      // every following connection, whichever worker takes it.
      const issuer = await loadDevIssuer({ dataDir, publicUrl: portrait.url });
      const token = await issuer.mint({ app: true, roles: ["User.ReadWrite.All"] });
      const created = await fetch(`${portrait.url}/v1.0/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ displayName: "W", userPrincipalName: "w@contoso.com" }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      const put = await send(
        portrait.url,
        "PUT",
        `/v1.0/users/${id}/photo/$value`,
        token,
        await makeJpeg(100, 100),
      );
      assert.equal(put.status, 200, put.body.toString());
      const reads = await Promise.all(
        Array.from({ length: 4 }, () =>
          send(portrait.url, "GET", `/v1.0/users/${id}/photos/96x96/$value`, token),
        ),
      );
      assert.deepEqual(
        reads.map((read) => read.status),
        [200, 200, 200, 200],
      );
      assert.ok(reads.every((read) => read.body.equals(reads[0]?.body ?? Buffer.alloc(0))));
    } finally {
      await portrait.stop();
    }
    for (const pid of listeningPids(portrait)) assert.equal(alive(pid), false, `worker ${pid}`);
  });

  test("a worker that cannot start stops the primary with status 1", async () => {
    const taken = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const address = taken.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      await assert.rejects(
        spawnPortrait({ DATA_DIR: dataDir, WORKERS: "2", PORT: String(port) }),
        // The primary reports the worker's failure, then exits 1 itself.
        /exited \(code 1\) before listening[\s\S]*Worker \d+ failed to start/,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
