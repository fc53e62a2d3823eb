/**
 * Portrait on a real socket (plain HTTP on 127.0.0.1): the headers of photo responses and the
 * 4 MiB upload limit as a client on the wire sees it, including bodies that are declared too
 * large, stream past the limit, or stop short. Every refused upload leaves the photo untouched.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import sharp from "sharp";
import { makeJpeg } from "../helpers/images.ts";
import { chunk, openRaw, type RawConnection, requestHead } from "../helpers/raw-http.ts";
import { startService, type TestService } from "../helpers/service.ts";

const LIMIT = 4_194_304;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RAW_TIMEOUT = { timeout: 30_000 };

interface PhotoJson {
  "@odata.mediaEtag": string;
  id: string;
}

/** `image` followed by zero bytes up to `length` (bytes after a JPEG's end are allowed). */
function padded(image: Buffer, length: number): Buffer {
  assert.ok(image.length <= length);
  return Buffer.concat([image, Buffer.alloc(length - image.length)]);
}

describe("Portrait on a socket", () => {
  let service: TestService;
  let port: number;
  let token: string;
  let userId: string;
  let photoPath: string;

  before(async () => {
    service = await startService();
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    port = (service.app.server.address() as AddressInfo).port;
    token = await service.appToken();
    userId = await service.createUser("grace@portrait.test");
    photoPath = `/v1.0/users/${userId}/photo/$value`;
  });

  after(async () => {
    await service?.close();
  });

  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const auth = () => ({ authorization: `Bearer ${token}` });

  const upload = (body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url(photoPath), {
      method: "PUT",
      headers: { ...auth(), "content-type": "image/jpeg", ...headers },
      body,
    });

  /** Everything a client can see of the photo: largest bytes, ETag, and every size. */
  const snapshot = async () => {
    const value = await fetch(url(photoPath), { headers: auth() });
    const list = await fetch(url(`/v1.0/users/${userId}/photos`), { headers: auth() });
    assert.equal(value.status, 200);
    assert.equal(list.status, 200);
    return {
      etag: value.headers.get("etag"),
      bytes: Buffer.from(await value.arrayBuffer()),
      sizes: ((await list.json()) as { value: PhotoJson[] }).value,
    };
  };

  /** Opens a connection and sends the head of a PUT of the photo. */
  const putHead = async (headers: Record<string, string | number>): Promise<RawConnection> => {
    const connection = await openRaw(port);
    await connection.write(
      requestHead("PUT", photoPath, port, { ...auth(), "content-type": "image/jpeg", ...headers }),
    );
    return connection;
  };

  /** Asserts a 413 RequestEntityTooLarge in Graph's shape; by default one that closes. */
  const assertTooLarge = async (connection: RawConnection, closes = true) => {
    const response = await connection.response;
    assert.equal(response.status, 413);
    if (closes) assert.equal(response.headers.connection, "close");
    else assert.notEqual(response.headers.connection, "close");
    const error = JSON.parse(response.body.toString("utf8")).error;
    assert.equal(error.code, "RequestEntityTooLarge");
    assert.equal(error.innerError["request-id"], response.headers["request-id"]);
    if (closes) await connection.closed;
  };

  test("the limit is the default 4,194,304 bytes", () => {
    assert.equal(service.config.maxUploadBytes, LIMIT);
  });

  test("upload, then GET: image/jpeg, length, ETag = mediaEtag, caching, nosniff, request ids", async () => {
    const put = await upload(await makeJpeg(240, 240), { "client-request-id": "socket-put-1" });
    assert.equal(put.status, 200);
    assert.equal(await put.text(), "");
    assert.doesNotMatch(put.headers.get("content-type") ?? "", /json/);
    assert.match(put.headers.get("request-id") ?? "", UUID);
    assert.equal(put.headers.get("client-request-id"), "socket-put-1");

    const get = await fetch(url(photoPath), {
      headers: { ...auth(), "client-request-id": "socket-get-1" },
    });
    assert.equal(get.status, 200);
    const bytes = Buffer.from(await get.arrayBuffer());
    assert.equal(get.headers.get("content-type"), "image/jpeg");
    assert.equal(get.headers.get("content-length"), String(bytes.length));
    assert.match(get.headers.get("cache-control") ?? "", /^private\b/);
    assert.equal(get.headers.get("x-content-type-options"), "nosniff");
    assert.match(get.headers.get("request-id") ?? "", UUID);
    assert.equal(get.headers.get("client-request-id"), "socket-get-1");
    const meta = await sharp(bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 240, 240]);

    const metadata = await fetch(url(`/v1.0/users/${userId}/photo`), { headers: auth() });
    const photo = (await metadata.json()) as PhotoJson;
    assert.equal(photo.id, "240X240");
    assert.match(get.headers.get("etag") ?? "", /^"[^"]+"$/);
    assert.equal(photo["@odata.mediaEtag"], get.headers.get("etag"));
    // Without a client-request-id, the response's equals its request-id.
    assert.equal(metadata.headers.get("client-request-id"), metadata.headers.get("request-id"));
  });

  test("a body of exactly 4,194,304 bytes (a JPEG, then padding) is accepted", async () => {
    const before = await snapshot();
    const put = await upload(padded(await makeJpeg(400, 400), LIMIT));
    assert.equal(put.status, 200, await put.clone().text());
    const after = await snapshot();
    assert.notEqual(after.etag, before.etag);
    assert.equal(after.sizes.at(-1)?.id, "360X360");
  });

  test("a chunked body of exactly 4,194,304 bytes is accepted", RAW_TIMEOUT, async () => {
    const body = padded(await makeJpeg(500, 500), LIMIT);
    const connection = await putHead({ "transfer-encoding": "chunked" });
    for (let offset = 0; offset < LIMIT; offset += 65_536) {
      assert.ok(await connection.write(chunk(body.subarray(offset, offset + 65_536))));
    }
    assert.ok(await connection.write(chunk(Buffer.alloc(0))));
    const response = await connection.response;
    assert.equal(response.status, 200, response.body.toString("utf8"));
    connection.destroy();
    const after = await snapshot();
    assert.equal(after.sizes.at(-1)?.id, "432X432");
  });

  test(
    "4,194,305 bytes with Content-Length get 413; the photo is unchanged",
    RAW_TIMEOUT,
    async () => {
      const before = await snapshot();
      const body = padded(await makeJpeg(300, 300), LIMIT + 1);
      const connection = await putHead({ "content-length": body.length });
      // The server refuses from the head, and reads and discards the body it was sent.
      assert.ok(await connection.write(body), "the whole body was taken");
      await assertTooLarge(connection, false);
      connection.destroy();
      assert.deepEqual(await snapshot(), before);
    },
  );

  test(
    "a chunked body of 4,194,305 bytes gets 413; the photo is unchanged",
    RAW_TIMEOUT,
    async () => {
      const before = await snapshot();
      const body = padded(await makeJpeg(300, 300), LIMIT + 1);
      const connection = await putHead({ "transfer-encoding": "chunked" });
      for (let offset = 0; offset < body.length; offset += 65_536) {
        if (!(await connection.write(chunk(body.subarray(offset, offset + 65_536))))) break;
      }
      await connection.write(chunk(Buffer.alloc(0)));
      await assertTooLarge(connection);
      assert.deepEqual(await snapshot(), before);
    },
  );

  test("a Content-Length over the limit is refused from the head alone", RAW_TIMEOUT, async () => {
    const before = await snapshot();
    const connection = await putHead({ "content-length": LIMIT + 1 });
    // No body byte is sent yet: the answer comes anyway, and the connection stays open, so that
    // a client still sending its body is not reset before it reads the answer.
    await assertTooLarge(connection, false);
    // The body is read and discarded, and the connection serves the next request.
    assert.ok(await connection.write(Buffer.alloc(LIMIT + 1, 0xff)), "the body was taken");
    const next = await openRaw(port);
    await next.write(requestHead("GET", `/v1.0/users/${userId}/photo`, port, auth()));
    assert.equal((await next.response).status, 200);
    next.destroy();
    connection.destroy();
    assert.deepEqual(await snapshot(), before);
  });

  test("fetch sending a body over the limit reads the 413, not a reset", RAW_TIMEOUT, async () => {
    const before = await snapshot();
    for (const size of [LIMIT + 1, 8 * 1024 * 1024]) {
      const response = await upload(Buffer.alloc(size, 0xff));
      assert.equal(response.status, 413, `${size} bytes`);
      const error = ((await response.json()) as { error: { code: string } }).error;
      assert.equal(error.code, "RequestEntityTooLarge");
    }
    assert.deepEqual(await snapshot(), before);
  });

  test(
    "a Content-Length too large to be worth reading closes the connection",
    RAW_TIMEOUT,
    async () => {
      const connection = await putHead({ "content-length": 64 * 1024 * 1024 + 1 });
      await assertTooLarge(connection);
    },
  );

  test("a chunked body is cut off once it passes the limit", RAW_TIMEOUT, async () => {
    const before = await snapshot();
    const body = padded(await makeJpeg(300, 300), LIMIT);
    const connection = await putHead({ "transfer-encoding": "chunked" });
    for (let offset = 0; offset < LIMIT; offset += 65_536) {
      assert.ok(await connection.write(chunk(body.subarray(offset, offset + 65_536))));
    }
    // Past the limit, keep sending slowly, up to another 4 MiB, until the server hangs up.
    const planned = 256;
    let extra = 0;
    while (extra < planned && !connection.isClosed()) {
      if (!(await connection.write(chunk(Buffer.alloc(16_384, 0xff))))) break;
      extra += 1;
      await delay(10);
    }
    assert.ok(extra < planned, `the server read all ${planned} chunks past the limit`);
    await assertTooLarge(connection);
    assert.deepEqual(await snapshot(), before);
  });

  for (const stop of ["end", "destroy"] as const) {
    test(
      `a body shorter than its Content-Length, then the client ${stop}s: nothing stored`,
      RAW_TIMEOUT,
      async () => {
        const before = await snapshot();
        const image = await makeJpeg(200, 200);
        const connection = await putHead({ "content-length": image.length });
        assert.ok(await connection.write(image.subarray(0, image.length >> 1)));
        connection[stop]();
        await connection.closed;
        // If the server answered at all, it was a client error, never a 5xx.
        const answer = await connection.response.catch(() => undefined);
        if (answer) assert.ok(answer.status >= 400 && answer.status < 500, String(answer.status));

        assert.deepEqual(await snapshot(), before);
        const next = await fetch(url(`/v1.0/users/${userId}/photo`), { headers: auth() });
        assert.equal(next.status, 200);
        assert.equal(((await next.json()) as PhotoJson)["@odata.mediaEtag"], before.etag);
      },
    );
  }

  test(
    "a body cut short is answered in Graph's error shape, with request ids",
    RAW_TIMEOUT,
    async () => {
      const image = await makeJpeg(200, 200);
      const connection = await putHead({
        "content-length": image.length,
        "client-request-id": "socket-short-1",
      });
      await connection.write(image.subarray(0, image.length >> 1));
      connection.end();
      const response = await connection.response;
      assert.equal(response.status, 400);
      assert.match(response.headers["request-id"] ?? "", UUID);
      const error = JSON.parse(response.body.toString("utf8")).error;
      assert.equal(error?.code, "BadRequest");
      assert.equal(error.innerError["request-id"], response.headers["request-id"]);
    },
  );

  test(
    "HTTP/1.1 without Host: Graph's 400, on the read fast path's URLs too",
    RAW_TIMEOUT,
    async () => {
      for (const path of [
        `/v1.0/users/${userId}`,
        `/v1.0/users/${userId}/photo/$value`,
        "/healthz",
      ]) {
        const connection = await openRaw(port);
        await connection.write(`GET ${path} HTTP/1.1\r\nauthorization: Bearer ${token}\r\n\r\n`);
        const response = await connection.response;
        connection.destroy();
        assert.equal(response.status, 400, path);
        assert.match(response.headers["request-id"] ?? "", UUID);
        const error = JSON.parse(response.body.toString("utf8")).error;
        assert.equal(error?.code, "BadRequest");
        assert.equal(error.message, "The request has no Host header.");
      }
      // HTTP/1.0 may omit it.
      const old = await openRaw(port);
      await old.write(
        `GET /v1.0/users/${userId} HTTP/1.0\r\nauthorization: Bearer ${token}\r\n\r\n`,
      );
      assert.equal((await old.response).status, 200);
      old.destroy();
    },
  );

  test(
    "an Expect other than 100-continue is ignored, and the request answered",
    RAW_TIMEOUT,
    async () => {
      const image = await makeJpeg(120, 120);
      const connection = await putHead({ "content-length": image.length, expect: "200-ok" });
      await connection.write(image);
      const response = await connection.response;
      connection.destroy();
      assert.equal(response.status, 200, response.body.toString("utf8"));
      const read = await fetch(url(`/v1.0/users/${userId}/photo`), { headers: auth() });
      assert.equal(((await read.json()) as { width: number }).width, 120);
    },
  );
});
