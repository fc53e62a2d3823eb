/** No metadata of any kind survives, ICC colours are converted, appended bytes are dropped. */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import sharp from "sharp";
import { createImageProcessor } from "../../src/image/processor.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { assertCleanSquareJpeg, contains, IMAGES, meanColour, sharedImage } from "./helpers.ts";

const processor = createImageProcessor({
  maxInputPixels: 50_000_000,
  concurrency: 2,
  queueLimit: 16,
});

describe("GPS photos", () => {
  for (const file of readdirSync(join(IMAGES, "gps"))) {
    test(file, async () => {
      const input = sharedImage(`gps/${file}`);
      const inputMeta = await sharp(input).metadata();
      assert.ok(inputMeta.exif && contains(input, "Exif\0\0"), "the input has EXIF");
      // GPSInfo IFD pointer, tag 0x8825, little-endian ("II") as in these files.
      assert.ok(inputMeta.exif.includes(Buffer.from([0x25, 0x88])), "the input has a GPS IFD");
      const sizes = await processor.process(input, sizesForShortSide);
      assert.deepEqual(
        sizes.map((s) => s.edge),
        sizesForShortSide(480),
      );
      for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
    });
  }
});

test("BlueSquare-xmp.jpg: EXIF, XMP, IPTC and ICC all present in, none out", async () => {
  const input = sharedImage("other/BlueSquare-xmp.jpg");
  const meta = await sharp(input).metadata();
  assert.ok(meta.exif && meta.xmp && meta.iptc && meta.icc, "the input has all four");
  for (const text of ["Exif\0\0", "http://ns.adobe.com/xap", "ICC_PROFILE", "Photoshop 3.0"]) {
    assert.ok(contains(input, text), `the input contains ${JSON.stringify(text)}`);
  }
  const sizes = await processor.process(input, sizesForShortSide);
  assert.deepEqual(
    sizes.map((s) => s.edge),
    [48, 64, 96, 120],
  );
  for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
});

test("a COM segment with <script> and bytes after EOI never reach the output", async () => {
  const plain = await sharp({
    create: { width: 120, height: 90, channels: 3, background: "#c0ffee" },
  })
    .jpeg()
    .toBuffer();
  const comment = Buffer.from("<script>alert('comment')</script>", "latin1");
  const com = Buffer.concat([
    Buffer.from([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff]),
    comment,
  ]);
  const trailer = Buffer.from("<script>alert('appended')</script>APPENDED-TRAILER", "latin1");
  const input = Buffer.concat([plain.subarray(0, 2), com, plain.subarray(2), trailer]);
  assert.ok(contains(input, "alert('comment')") && contains(input, "APPENDED-TRAILER"));

  const sizes = await processor.process(input, sizesForShortSide);
  assert.deepEqual(
    sizes.map((s) => s.edge),
    [48, 64],
  );
  for (const size of sizes) {
    await assertCleanSquareJpeg(size, size.edge);
    for (const text of ["<script>", "alert", "APPENDED"]) {
      assert.ok(!contains(size.bytes, text), `no ${text} in the ${size.edge} output`);
    }
  }
});

test("an embedded Display P3 profile is converted to sRGB, then dropped", async () => {
  // Pure sRGB red stored as Display P3 pixels: the stored values are not (255, 0, 0).
  const p3 = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#ff0000" } })
    .withIccProfile("p3")
    .jpeg({ quality: 95 })
    .toBuffer();
  const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
  assert.ok((stored[0] ?? 0) < 245 && (stored[1] ?? 0) > 30, "P3 values differ from sRGB red");

  const [size] = await processor.process(p3, sizesForShortSide);
  assert.ok(size);
  await assertCleanSquareJpeg(size, 48);
  const [r, g, b] = await meanColour(size.bytes);
  assert.ok(r > 245 && g < 12 && b < 12, `sRGB red expected, got ${[r, g, b].map(Math.round)}`);
});
