/** reachesEndMarker: the container walk that refuses uploads cut before their end marker. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import sharp from "sharp";
import { reachesEndMarker } from "../../src/image/end-marker.ts";
import { makeJpeg, makePng } from "../helpers/images.ts";
import { pngChunk } from "./crafted.ts";

const EOI = Buffer.from([0xff, 0xd9]);

test("JPEG: EOI after the scan; a thumbnail's EOI inside APP1 does not count", async () => {
  // Canon_40D.jpg holds an EXIF thumbnail: a whole JPEG, SOS and EOI included, before its scan.
  const canon = await readFile("/work/shared/images/other/Canon_40D.jpg");
  assert.ok(canon.indexOf(EOI) < canon.length - 2, "a thumbnail EOI comes first");
  assert.equal(reachesEndMarker("jpeg", canon), true);
  assert.equal(reachesEndMarker("jpeg", canon.subarray(0, -2)), false);
  assert.equal(reachesEndMarker("jpeg", canon.subarray(0, -1)), false);
  assert.equal(reachesEndMarker("jpeg", Buffer.concat([canon, Buffer.from("trailer")])), true);
});

test("JPEG: fill bytes before a marker are allowed, stray bytes between segments are not", async () => {
  const jpeg = await makeJpeg(64, 64);
  const withFill = Buffer.concat([
    jpeg.subarray(0, 2),
    Buffer.from([0xff, 0xff]),
    jpeg.subarray(2),
  ]);
  assert.equal(reachesEndMarker("jpeg", withFill), true);
  const stray = Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0x00]), jpeg.subarray(2)]);
  assert.equal(reachesEndMarker("jpeg", stray), false);
  assert.equal(reachesEndMarker("jpeg", jpeg.subarray(0, 3)), false);
});

test("PNG: a complete IEND chunk; a chunk running past the end is a cut", async () => {
  const png = await makePng(64, 64);
  assert.equal(reachesEndMarker("png", png), true);
  assert.equal(reachesEndMarker("png", Buffer.concat([png, Buffer.from("trailer")])), true);
  for (const cut of [1, 4, 12, 13]) {
    assert.equal(reachesEndMarker("png", png.subarray(0, -cut)), false, `${cut} cut`);
  }
  const huge = pngChunk("tEXt", Buffer.from("a\0b"));
  huge.writeUInt32BE(0xffffffff, 0);
  assert.equal(reachesEndMarker("png", Buffer.concat([png.subarray(0, 33), huge])), false);
});

test("GIF: every block up to the trailer; stray zero bytes pass, junk does not", async () => {
  const gif = await sharp(await makePng(64, 64))
    .gif()
    .toBuffer();
  const body = gif.subarray(0, -1);
  assert.equal(reachesEndMarker("gif", gif), true);
  assert.equal(reachesEndMarker("gif", body), false);
  assert.equal(reachesEndMarker("gif", Buffer.concat([body, Buffer.from([0, 0x3b])])), true);
  assert.equal(reachesEndMarker("gif", Buffer.concat([body, Buffer.from("junk;")])), false);
  assert.equal(reachesEndMarker("gif", Buffer.concat([gif, Buffer.from("trailer")])), true);
});

test("WebP is left to libwebp, which checks the RIFF length itself", () => {
  assert.equal(reachesEndMarker("webp", Buffer.from("RIFF")), true);
});
