/** The real photographs of /work/shared/images and what must happen to each. */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import sharp from "sharp";
import { createImageProcessor } from "../../src/image/processor.ts";
import { PHOTO_SIZES, sizesForShortSide } from "../../src/photos/sizes.ts";
import { assertCleanSquareJpeg, graphError, IMAGES, sharedImage } from "./helpers.ts";

const processor = createImageProcessor({
  maxInputPixels: 50_000_000,
  concurrency: 2,
  queueLimit: 16,
});

describe("phone photos: all nine sizes", () => {
  for (const file of readdirSync(join(IMAGES, "phone"))) {
    test(file, async (t) => {
      const input = sharedImage(`phone/${file}`);
      const meta = await sharp(input).metadata();
      const started = performance.now();
      const sizes = await processor.process(input, sizesForShortSide);
      const ms = performance.now() - started;
      t.diagnostic(`${meta.width}x${meta.height}, ${input.length} bytes: ${ms.toFixed(0)} ms`);
      assert.deepEqual(
        sizes.map((s) => s.edge),
        [...PHOTO_SIZES],
      );
      for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
    });
  }
});

describe("bad-exif: decodable files with a malformed metadata block are accepted", () => {
  for (const file of readdirSync(join(IMAGES, "bad-exif"))) {
    test(file, async () => {
      const input = sharedImage(`bad-exif/${file}`);
      const meta = await sharp(input).metadata();
      const shortSide = Math.min(meta.width, meta.height);
      const sizes = await processor.process(input, sizesForShortSide);
      assert.deepEqual(
        sizes.map((s) => s.edge),
        sizesForShortSide(shortSide),
      );
      assert.ok(sizes.length > 0);
      for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
    });
  }
});

test("broken/corrupted.jpg (data ends early) is 400 InvalidImage", async () => {
  const input = sharedImage("broken/corrupted.jpg");
  const meta = await sharp(input).metadata();
  assert.equal(`${meta.width}x${meta.height}`, "3648x2736", "the header alone reads fine");
  await assert.rejects(processor.process(input, sizesForShortSide), graphError("InvalidImage"));
});

test("other/IMG_5195.HEIC is 415 UnsupportedMediaType naming HEIC", async () => {
  await assert.rejects(
    processor.process(sharedImage("other/IMG_5195.HEIC"), sizesForShortSide),
    graphError(
      "UnsupportedMediaType",
      /^HEIC images are not supported; send JPEG, PNG, WebP or GIF\.$/,
    ),
  );
});

test("other/BSG1.tiff is 415 UnsupportedMediaType naming TIFF", async () => {
  await assert.rejects(
    processor.process(sharedImage("other/BSG1.tiff"), sizesForShortSide),
    graphError("UnsupportedMediaType", /^TIFF images are not supported/),
  );
});

test("refused formats never reach a decoder: libvips may only load the four accepted ones", async () => {
  // The processor above has configured sharp; a TIFF or HEIC loader can no longer run at all.
  for (const file of ["other/BSG1.tiff", "other/IMG_5195.HEIC"]) {
    await assert.rejects(sharp(sharedImage(file)).metadata(), /unsupported image format/);
  }
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>');
  await assert.rejects(sharp(svg).metadata(), /unsupported image format/);
});

test("other/Canon_40D.jpg (100x68) yields only 48 and 64", async () => {
  const sizes = await processor.process(sharedImage("other/Canon_40D.jpg"), sizesForShortSide);
  assert.deepEqual(
    sizes.map((s) => s.edge),
    [48, 64],
  );
  for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
});
