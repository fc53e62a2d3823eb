/**
 * Hostile uploads through HTTP against a user who already has a photo (all nine sizes). Every
 * refused upload gets a Graph-shaped 4xx with the right code, every stored size stays
 * byte-for-byte what it was (ETag and bytes), and the service keeps serving. The declared-length
 * cases socket.test.ts already proves on the wire (over 4 MB, chunked past 4 MB, shorter than
 * declared) are not repeated; a body longer than its Content-Length is added here.
 * Refused formats are in refused-formats.test.ts, accepted extremes (huge but legal images,
 * polyglots) in accepted-extremes.test.ts.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import sharp from "sharp";
import { makeJpeg, makePng } from "../helpers/images.ts";
import { openRaw, requestHead } from "../helpers/raw-http.ts";
import { startService, type TestService } from "../helpers/service.ts";
import { gifDeclaring, jpegDeclaring, noise, pngDeclaring, webpDeclaring } from "./crafted.ts";
import {
  assertGraphError,
  assertServing,
  createVictim,
  photoSnapshot,
  putPhoto,
  type Victim,
} from "./support.ts";

let service: TestService;
let victim: Victim;

before(async () => {
  service = await startService({ RATE_LIMIT_REQUESTS: "0" });
  await service.app.listen({ host: "127.0.0.1", port: 0 });
  victim = await createVictim(service, "target@contoso.com");
});
after(() => service?.close());

const assertRefused: Victim["assertRefused"] = (body, status, code) =>
  victim.assertRefused(body, status, code);
const port = () => (service.app.server.address() as AddressInfo).port;

describe("bodies that are no image: 400 InvalidImage", () => {
  const scanStart = async () => {
    const jpeg = await makeJpeg(300, 300);
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    return jpeg.subarray(0, sos + 2 + jpeg.readUInt16BE(sos + 2));
  };
  const cases: Record<string, () => Promise<Uint8Array>> = {
    empty: async () => Buffer.alloc(0),
    "one byte": async () => Buffer.from([0xff]),
    "4 KB of random bytes": async () => noise(4096, "random"),
    "a real JPEG header (SOI to SOS), then garbage": async () =>
      Buffer.concat([await scanStart(), noise(8000, "scan")]),
    "a real JPEG header, garbage, then a proper EOI marker": async () =>
      Buffer.concat([await scanStart(), noise(8000, "scan"), Buffer.from([0xff, 0xd9])]),
  };
  for (const [name, make] of Object.entries(cases)) {
    test(name, async () => {
      await assertRefused(await make(), 400, "InvalidImage");
    });
  }
});

describe("truncated images, cut at several points: 400 InvalidImage", () => {
  // Each format's image, and the length of what ends it: JPEG's EOI marker, PNG's IEND chunk,
  // GIF's trailer byte (WebP has none; its RIFF header declares the length). This JPEG's scan
  // data ends where libjpeg needs no further byte, so only the end-marker check notices a cut EOI.
  const makers: Record<string, [() => Promise<Buffer>, number]> = {
    JPEG: [() => makeJpeg(300, 200), 2],
    PNG: [() => makePng(300, 200), 12],
    WebP: [
      async () =>
        sharp(await makePng(300, 200))
          .webp()
          .toBuffer(),
      1,
    ],
    GIF: [
      async () =>
        sharp(await makePng(300, 200))
          .gif()
          .toBuffer(),
      1,
    ],
  };
  for (const [format, [make, endLength]] of Object.entries(makers)) {
    test(format, async () => {
      const whole = await make();
      // The whole file is accepted (by another user), so only the cut makes the difference.
      const other = await service.createUser(`whole-${format.toLowerCase()}@contoso.com`);
      const otherToken = await service.userToken(other, ["User.ReadWrite"]);
      const ok = await putPhoto(service, { authorization: `Bearer ${otherToken}` }, whole);
      assert.equal(ok.statusCode, 200);
      const cuts = [0.1, 0.5, 0.9].map((share) => Math.floor(whole.length * share));
      // Then all pixels are there and only the end is missing: its last byte, or all of it.
      cuts.push(whole.length - 1, whole.length - endLength);
      for (const cut of new Set(cuts)) {
        await assertRefused(whole.subarray(0, cut), 400, "InvalidImage");
      }
    });
  }
});

describe("a body longer than its Content-Length", () => {
  test("in process: Fastify refuses a length mismatch either way with 400 BadRequest", async () => {
    const jpeg = await makeJpeg(200, 200);
    for (const declared of [jpeg.length - 100, jpeg.length + 100]) {
      const response = await service.app.inject({
        method: "PUT",
        url: "/v1.0/me/photo/$value",
        headers: { ...victim.headers, "content-length": String(declared) },
        payload: jpeg,
      });
      assertGraphError(response, 400, "BadRequest");
    }
    assert.deepEqual(await photoSnapshot(service, victim.headers), victim.original);
  });

  test("on a socket: the bytes past the declared length are refused and the connection closed", async () => {
    // The declared length covers half the JPEG; the other half and a script follow.
    const jpeg = await makeJpeg(200, 200);
    const connection = await openRaw(port());
    const head = {
      ...victim.headers,
      "content-type": "image/jpeg",
      "content-length": jpeg.length >> 1,
    };
    await connection.write(requestHead("PUT", "/v1.0/me/photo/$value", port(), head));
    await connection.write(Buffer.concat([jpeg, Buffer.from("<script>alert(1)</script>")]));
    const response = await connection.response;
    assert.equal(response.status, 400);
    const error = JSON.parse(response.body.toString("utf8")).error;
    // The truncated upload (InvalidImage) or the trailing bytes (BadRequest) answer first.
    assert.ok(["InvalidImage", "BadRequest"].includes(error.code), error.code);
    assert.equal(error.innerError["request-id"], response.headers["request-id"]);
    await connection.closed;
    assert.deepEqual(await photoSnapshot(service, victim.headers), victim.original);
    await assertServing(service, victim.headers);
  });

  test("on a socket: a complete upload followed by junk is answered for what it did", async () => {
    const other = await service.createUser("pipelined@contoso.com");
    const auth = { authorization: `Bearer ${await service.userToken(other, ["User.ReadWrite"])}` };
    const jpeg = await makeJpeg(200, 200);
    const connection = await openRaw(port());
    const head = { ...auth, "content-type": "image/jpeg", "content-length": jpeg.length };
    await connection.write(requestHead("PUT", "/v1.0/me/photo/$value", port(), head));
    await connection.write(Buffer.concat([jpeg, Buffer.from("<script>alert(1)</script>")]));
    const first = await connection.response;
    await connection.closed;
    // The upload goes on after the connection is closed: give it up to 5 s to land.
    let stored = false;
    for (let i = 0; i < 100 && !stored; i++) {
      const photo = await service.app.inject({
        method: "GET",
        url: "/v1.0/me/photo",
        headers: auth,
      });
      stored = photo.statusCode === 200;
      if (!stored) await delay(50);
    }
    // Whatever the server decides, the client must learn it: 200 if and only if it was stored.
    assert.equal(first.status === 200, stored, `answered ${first.status}, stored: ${stored}`);
  });
});

describe("pixel floods: a tiny file declaring huge dimensions, refused from its header", () => {
  const floods: Array<[string, number, number, () => Promise<Buffer> | Buffer]> = [
    ["JPEG (SOF0)", 30_000, 30_000, () => jpegDeclaring(30_000, 30_000)],
    ["JPEG just over 50 MP", 7072, 7071, () => jpegDeclaring(7072, 7071)],
    ["PNG (IHDR, valid CRC)", 30_000, 30_000, () => pngDeclaring(30_000, 30_000)],
    ["WebP lossy (VP8 frame header)", 16_383, 16_383, () => webpDeclaring("VP8", 16_383)],
    ["WebP lossless (VP8L header)", 16_383, 16_383, () => webpDeclaring("VP8L", 16_383)],
    ["WebP extended (VP8X canvas)", 16_383, 16_383, () => webpDeclaring("VP8X", 16_383)],
    [
      "WebP animation on a huge canvas",
      16_383,
      16_383,
      () => webpDeclaring("VP8X animated", 16_383),
    ],
    [
      "GIF (screen and frame)",
      30_000,
      30_000,
      () => gifDeclaring([30_000, 30_000], [30_000, 30_000]),
    ],
    [
      "GIF (100x100 screen, huge frame)",
      30_000,
      30_000,
      () => gifDeclaring([100, 100], [30_000, 30_000]),
    ],
  ];
  for (const [name, width, height, make] of floods) {
    test(`${name}: ${width}x${height}`, async () => {
      const flood = await make();
      assert.ok(flood.length < 1024, `${flood.length} bytes`);
      const error = await assertRefused(flood, 400, "ImageDimensionsTooLarge");
      // Only the header check, before any decoding, words it so; the decoder's own pixel guard
      // behind it would give the generic "The image has more pixels than allowed."
      assert.equal(
        error.message,
        `The image is ${width}x${height} (${width * height} pixels); ` +
          "at most 50000000 pixels are allowed.",
      );
    });
  }
});
