/**
 * The photo read fast path (`src/http/fast-read.ts`) with the rest of the service: the rate
 * limit, the access log and metrics, and shutdown treat its answers like any other.
 */
import assert from "node:assert/strict";
import { type AddressInfo, connect } from "node:net";
import { describe, test } from "node:test";
import { type Answer, fastResponses, get, listening, putPhoto } from "../helpers/fast-read.ts";
import { makeJpeg } from "../helpers/images.ts";
import { requestHead } from "../helpers/raw-http.ts";
import { startService } from "../helpers/service.ts";

describe("the fast path and the rest of the service", () => {
  test("a rate-limited caller's requests count once, whichever path answers", async () => {
    const service = await startService({ RATE_LIMIT_REQUESTS: "4" });
    try {
      const base = await listening(service);
      const token = await service.appToken();
      const userId = await service.createUser("limited@contoso.com");
      const headers = { authorization: `Bearer ${token}`, "content-type": "image/jpeg" };
      const put = await fetch(`${base}/v1.0/users/${userId}/photo/$value`, {
        method: "PUT",
        headers,
        body: await makeJpeg(100, 100),
      });
      assert.equal(put.status, 200);
      const statuses = [];
      for (const path of [
        `/v1.0/users/${userId}/photos/48x48/$value`, // fast
        `/v1.0/users/${userId}/photos/49x49/$value`, // counted, then handed to Fastify: 404
        `/v1.0/users/${userId}/photos/48x48/%24value`, // Fastify
        `/v1.0/users/${userId}/photos/48x48/$value`, // over the budget of 4: handed on, 429
      ]) {
        statuses.push((await get(base, path, headers)).status);
      }
      assert.deepEqual(statuses, [200, 404, 429, 429]);
      const limited = await get(base, `/v1.0/users/${userId}/photos/48x48/$value`, headers);
      assert.equal(limited.status, 429);
      assert.match(limited.headers["retry-after"] ?? "", /^\d+$/);
      assert.equal(JSON.parse(limited.body.toString()).error.code, "TooManyRequests");
    } finally {
      await service.close();
    }
  });

  test("its responses are in the access log and the metrics like any other", async () => {
    const lines: Record<string, unknown>[] = [];
    const service = await startService(
      { LOG_LEVEL: "info" },
      { logStream: { write: (line) => lines.push(JSON.parse(line)) } },
    );
    try {
      const base = await listening(service);
      const token = await service.appToken();
      const userId = await service.createUser("logged@contoso.com");
      const headers = { authorization: `Bearer ${token}` };
      await putPhoto(service, userId, token, await makeJpeg(100, 100));
      const path = `/v1.0/users/${userId}/photos/48x48/$value`;
      const okGets = async () => {
        const metrics = (await service.app.inject({ method: "GET", url: "/metrics" })).body;
        const found = /^portrait_http_responses_total\{method="GET",status="200"\} (\d+)$/m.exec(
          metrics,
        );
        return Number(found?.[1] ?? 0);
      };
      const counted = await okGets();
      const routed = await get(base, path.replace("$value", "%24value"), headers);
      const fast = await get(base, path, headers);
      assert.equal(fast.status, 200);
      // Both GETs, and the first metrics read.
      assert.equal(await okGets(), counted + 3);
      assert.equal(await fastResponses(service), 1);

      const lineOf = (answer: Answer) => {
        const found = lines.filter(
          (line) => line.reqId === answer.headers["request-id"] && line.msg === "request completed",
        );
        assert.equal(found.length, 1, JSON.stringify(lines));
        return found[0] as Record<string, unknown>;
      };
      const fastLine = lineOf(fast);
      const routedLine = lineOf(routed);
      assert.deepEqual(Object.keys(fastLine).sort(), Object.keys(routedLine).sort());
      assert.equal(fastLine.level, 30);
      assert.equal(fastLine.method, "GET");
      assert.equal(fastLine.url, path);
      assert.equal(fastLine.statusCode, 200);
      assert.equal(fastLine.remoteAddress, routedLine.remoteAddress);
      assert.equal(typeof fastLine.responseTime, "number");
    } finally {
      await service.close();
    }
  });

  test("once shutdown has begun, a photo GET gets 503 serviceNotAvailable like any request", async () => {
    const service = await startService();
    let closing: Promise<void> | undefined;
    try {
      await listening(service);
      const port = (service.app.server.address() as AddressInfo).port;
      const token = await service.appToken();
      const auth = { authorization: `Bearer ${token}` };
      const served = await service.createUser("served@contoso.com");
      const uploader = await service.createUser("uploader@contoso.com");
      const path = `/v1.0/users/${served}/photos/48x48/$value`;
      await putPhoto(service, served, token, await makeJpeg(100, 100));
      assert.equal((await get(`http://127.0.0.1:${port}`, path, auth)).status, 200);
      const image = await makeJpeg(1600, 1600);

      // One connection: an upload, then a photo GET the fast path would answer. Closing starts
      // when the upload arrives (earlier, the connection would be idle and simply closed), so
      // the GET arrives during shutdown.
      const socket = connect({ port, host: "127.0.0.1" });
      let received = "";
      socket.on("data", (data: Buffer) => {
        received += data.toString("latin1");
      });
      const ended = new Promise((resolve) => socket.once("close", resolve));
      service.app.server.once("request", () => {
        closing = service.app.close();
      });
      socket.write(
        requestHead("PUT", `/v1.0/users/${uploader}/photo/$value`, port, {
          ...auth,
          "content-type": "image/jpeg",
          "content-length": image.length,
        }),
      );
      socket.write(image);
      socket.write(requestHead("GET", path, port, auth));
      await ended;
      const heads = received.split(/(?=^HTTP\/1\.1 )/m);
      assert.deepEqual(
        heads.map((head) => Number(head.slice(9, 12))),
        [200, 503],
      );
      const refused = heads[1] ?? "";
      assert.match(refused, /^connection: close$/im);
      assert.match(refused, /^retry-after: \d+$/im);
      assert.match(refused, /"code":"serviceNotAvailable"/);
    } finally {
      await closing;
      await service.close();
    }
  });
});
