/**
 * A service on PostgreSQL that loses its database while serving: photo requests answer 503
 * serviceNotAvailable with Retry-After, /readyz fails, the stored photo is untouched, and once
 * the database is back the same service answers again without a restart. The database is cut
 * off by a TCP proxy (not by stopping the server), or its connections are terminated.
 * And a process whose database is unreachable at startup retries, says so, and exits non-zero.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { assertGraphError, send } from "../helpers/graph-calls.ts";
import { makeJpeg } from "../helpers/images.ts";
import {
  dropSchema,
  freshSchemaName,
  TEST_DATABASE_URL,
  terminateBackends,
  urlTaggedWith,
} from "../helpers/postgres.ts";
import { startService, type TestService } from "../helpers/service.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const schemas: string[] = [];
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

async function serviceOn(url: string): Promise<TestService> {
  const schema = freshSchemaName();
  schemas.push(schema);
  return startService({ DATABASE_URL: url, PG_SCHEMA: schema, PG_POOL_SIZE: "3" });
}

const upstream = (() => {
  const url = new URL(TEST_DATABASE_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
})();

describe("PostgreSQL lost while serving, over HTTP", () => {
  test("unreachable: 503 serviceNotAvailable with Retry-After and /readyz 503; back: 200 again", async () => {
    const proxy = await startTcpProxy(upstream);
    const service = await serviceOn(proxy.url(TEST_DATABASE_URL));
    try {
      const token = await service.appToken();
      const userId = await service.createUser("outage@contoso.com");
      const photo = `/v1.0/users/${userId}/photo/$value`;
      assert.equal(
        (await send(service, "PUT", photo, token, await makeJpeg(300, 300))).statusCode,
        200,
      );
      const before = await send(service, "GET", photo, token);
      assert.equal(before.statusCode, 200);

      await proxy.stop();
      const during = {
        "GET photo": await send(service, "GET", photo, token),
        "GET photos": await send(service, "GET", `/v1.0/users/${userId}/photos`, token),
        "PUT photo": await send(service, "PUT", photo, token, await makeJpeg(200, 200)),
        "DELETE photo": await send(service, "DELETE", photo, token),
        "GET user": await send(service, "GET", `/v1.0/users/${userId}`, token),
      };
      for (const [name, response] of Object.entries(during)) {
        assertGraphError(response, 503, "serviceNotAvailable");
        assert.equal(response.headers["retry-after"], "5", name);
      }
      const ready = await service.app.inject({ method: "GET", url: "/readyz" });
      assertGraphError(ready, 503, "serviceNotAvailable");
      assert.equal(ready.headers["retry-after"], "5");
      const live = await service.app.inject({ method: "GET", url: "/healthz" });
      assert.equal(live.statusCode, 200, "the process itself is alive");

      await proxy.start();
      assert.equal((await service.app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
      const after = await send(service, "GET", photo, token);
      assert.equal(after.statusCode, 200);
      assert.equal(after.headers.etag, before.headers.etag, "the photo is the one from before");
      assert.ok(after.rawPayload.equals(before.rawPayload));
      assert.equal(
        (await send(service, "PUT", photo, token, await makeJpeg(200, 200))).statusCode,
        200,
      );
      const meta = await send(service, "GET", `/v1.0/users/${userId}/photo`, token);
      assert.equal(meta.json().id, "120X120", "the new upload, written after the recovery");
    } finally {
      await service.close();
      await proxy.close();
    }
  });

  test("terminated connections: each request answers 200 or 503, and 200 again without a restart", async () => {
    const tag = freshSchemaName("portrait_http_kill");
    const service = await serviceOn(urlTaggedWith(tag));
    try {
      const token = await service.appToken();
      const userId = await service.createUser("terminated@contoso.com");
      const photo = `/v1.0/users/${userId}/photo/$value`;
      assert.equal(
        (await send(service, "PUT", photo, token, await makeJpeg(300, 300))).statusCode,
        200,
      );
      const before = await send(service, "GET", photo, token);
      await Promise.all([1, 2, 3].map(() => send(service, "GET", photo, token)));

      assert.ok((await terminateBackends(tag)) >= 1, "the service's connections were found");
      let answered = 0;
      for (let i = 0; i < 20 && answered < 3; i++) {
        const response = await send(service, "GET", photo, token);
        if (response.statusCode === 200) {
          assert.equal(response.headers.etag, before.headers.etag);
          answered++;
        } else {
          assertGraphError(response, 503, "serviceNotAvailable");
          assert.equal(response.headers["retry-after"], "5");
        }
      }
      assert.equal(answered, 3, "the service answers again");
      assert.equal((await service.app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
    } finally {
      await service.close();
    }
  });
});

describe("PostgreSQL unreachable at startup, as a process", () => {
  test("Portrait retries PG_CONNECT_RETRIES times, logging each, then exits 1 naming the cause", async () => {
    const proxy = await startTcpProxy(upstream);
    await proxy.stop(); // a port where nothing listens
    const dataDir = await mkdtemp(join(tmpdir(), "portrait-startup-"));
    try {
      const url = new URL(proxy.url(TEST_DATABASE_URL));
      url.password = "hunter2";
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: {
          PATH: process.env.PATH ?? "",
          DATA_DIR: dataDir,
          PORT: "0",
          DATABASE_URL: url.toString(),
          PG_CONNECT_RETRIES: "2",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const [code] = await once(child, "close");
      assert.equal(code, 1, output);
      const lines = output.trim().split("\n");
      const retries = lines.filter((line) => /is not reachable \(attempt \d of 3/.test(line));
      assert.equal(retries.length, 2, output);
      assert.match(
        lines.at(-1) ?? "",
        /^Portrait failed to start: PostgreSQL at 127\.0\.0\.1:\d+\/\w+ is not reachable after 3 attempts: .*ECONNREFUSED/,
      );
      assert.doesNotMatch(output, /hunter2/, "no password in the output");
      assert.doesNotMatch(output, /listening/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
