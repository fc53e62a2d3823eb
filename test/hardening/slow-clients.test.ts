/**
 * Slow and idle clients on a real socket, with short configured timeouts: headers sent byte by
 * byte, a body that trickles, connections that send nothing, idle keep-alive connections, and
 * the connection cap. Each slow client is planned to last many times the timeout; the tests
 * assert the server hung up while the client still had bytes to send.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { makeJpeg } from "../helpers/images.ts";
import { openRaw, type RawConnection, type RawResponse, requestHead } from "../helpers/raw-http.ts";
import { startService, type TestService } from "../helpers/service.ts";

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1_500;
const KEEP_ALIVE_TIMEOUT_MS = 500;
/** How long each slow client would go on if nobody stopped it: 20x the timeout that applies. */
const PLANNED_MS = 20 * REQUEST_TIMEOUT_MS;
const STEP_MS = 100;
const BOUNDED = { timeout: PLANNED_MS + 10_000 };

function listeningPort(service: TestService): number {
  return (service.app.server.address() as AddressInfo).port;
}

/** Sends one piece every STEP_MS until the connection closes or PLANNED_MS pass. */
async function trickle(connection: RawConnection, piece: string | Buffer): Promise<number> {
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < PLANNED_MS && !connection.isClosed()) {
    if (!(await connection.write(piece))) break;
    sent++;
    await delay(STEP_MS);
  }
  return sent;
}

/** Asserts a 408 in Graph's error shape that closes the connection. */
function assertTimeoutResponse(response: RawResponse): void {
  assert.equal(response.status, 408, response.body.toString("utf8"));
  assert.equal(response.headers.connection, "close");
  const error = JSON.parse(response.body.toString("utf8")).error;
  assert.equal(error.code, "BadRequest");
  assert.equal(error.innerError["request-id"], response.headers["request-id"]);
}

/** Resolves once the server has no open connections (polled; the test's timeout bounds it). */
async function connectionsDrained(service: TestService): Promise<void> {
  const count = () =>
    new Promise<number>((resolve, reject) =>
      service.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
  while ((await count()) > 0) await delay(50);
}

describe("connection settings", () => {
  test("defaults: headers 10 s, whole request 60 s, keep-alive 5 s, silence 60 s, no cap", () => {
    assert.deepEqual(loadConfig({}).server, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      socketTimeoutMs: 60_000,
      maxConnections: 0,
    });
  });

  test("a headers timeout longer than the request timeout is refused", () => {
    assert.throws(
      () => loadConfig({ HEADERS_TIMEOUT_MS: "20000", REQUEST_TIMEOUT_MS: "10000" }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes("HEADERS_TIMEOUT_MS"),
    );
    assert.throws(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: "0" }), ConfigError);
  });
});

describe("slow and idle clients", () => {
  let service: TestService;
  let port: number;
  let token: string;
  let userId: string;

  before(async () => {
    service = await startService({
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    port = listeningPort(service);
    token = await service.appToken();
    userId = await service.createUser("ada@portrait.test");
  });
  after(async () => {
    await service?.close();
  });

  test("the configured timeouts are the server's", () => {
    const server = service.app.server;
    assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
    assert.equal(server.requestTimeout, REQUEST_TIMEOUT_MS);
    assert.equal(server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    assert.equal(server.timeout, service.config.server.socketTimeoutMs);
  });

  test(
    "headers sent slowly (slowloris) get 408 and the connection is closed",
    BOUNDED,
    async () => {
      const connection = await openRaw(port);
      await connection.write(`GET /v1.0/users/${userId} HTTP/1.1\r\nhost: 127.0.0.1\r\n`);
      const sent = await trickle(connection, "x-slow: a\r\n");
      await connection.closed;
      assert.ok(sent < PLANNED_MS / STEP_MS, `the client sent all ${sent} header lines`);
      assertTimeoutResponse(await connection.response);
    },
  );

  test("a body that trickles is cut off with 408 and nothing is stored", BOUNDED, async () => {
    const photo = await makeJpeg(300, 300);
    const connection = await openRaw(port);
    await connection.write(
      requestHead("PUT", `/v1.0/users/${userId}/photo/$value`, port, {
        authorization: `Bearer ${token}`,
        "content-type": "image/jpeg",
        // Room for more padding than the client will ever send: the body never completes.
        "content-length": photo.length + PLANNED_MS,
      }),
    );
    // The whole image at once, then zero bytes of padding (allowed after a JPEG's end), slowly.
    await connection.write(photo);
    const sent = await trickle(connection, Buffer.alloc(1));
    await connection.closed;
    assert.ok(sent < PLANNED_MS / STEP_MS, `the client sent all ${sent} bytes`);
    assertTimeoutResponse(await connection.response);

    const get = await fetch(`http://127.0.0.1:${port}/v1.0/users/${userId}/photo`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(get.status, 404);
    assert.equal(((await get.json()) as { error: { code: string } }).error.code, "ImageNotFound");
  });

  test("connections that never send a byte are closed", BOUNDED, async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => openRaw(port)));
    await Promise.all(connections.map((connection) => connection.closed));
    await connectionsDrained(service);
  });

  test("idle keep-alive connections are closed by the server", BOUNDED, async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => openRaw(port)));
    for (const connection of connections) {
      await connection.write(requestHead("GET", "/healthz", port, { connection: "keep-alive" }));
    }
    for (const connection of connections) {
      const response = await connection.response;
      assert.equal(response.status, 200);
      assert.notEqual(response.headers.connection, "close");
    }
    // The clients keep every connection open and send nothing more: the server closes them.
    await Promise.all(connections.map((connection) => connection.closed));
    await connectionsDrained(service);
  });
});

describe("MAX_CONNECTIONS", () => {
  let service: TestService;
  let port: number;

  before(async () => {
    service = await startService({ MAX_CONNECTIONS: "3" });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    port = listeningPort(service);
  });
  after(async () => {
    await service?.close();
  });

  const health = async (connection: RawConnection) => {
    await connection.write(requestHead("GET", "/healthz", port, {}));
    return (await connection.response).status;
  };

  test(
    "connections beyond the cap are closed at once; below it they are served",
    BOUNDED,
    async () => {
      const held = await Promise.all([openRaw(port), openRaw(port), openRaw(port)]);
      assert.equal(await health(held[0] as RawConnection), 200);

      const refused = await openRaw(port);
      await refused.closed;
      await assert.rejects(refused.response);

      for (const connection of held) connection.destroy();
      await connectionsDrained(service);
      const next = await openRaw(port);
      assert.equal(await health(next), 200);
      next.destroy();
    },
  );
});
