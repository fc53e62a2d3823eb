/** Accepted inputs made here with sharp, so each test shows what it feeds in. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import sharp from "sharp";
import { detectFormat } from "../../src/image/detect-format.ts";
import { createImageProcessor } from "../../src/image/processor.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { assertCleanSquareJpeg, meanColour, rgbPixels, solidImage } from "./helpers.ts";

const processor = createImageProcessor({
  maxInputPixels: 50_000_000,
  concurrency: 2,
  queueLimit: 16,
});

/** Deterministic bytes that look random. */
const edges = (sizes: Array<{ edge: number }>) => sizes.map((s) => s.edge);

describe("accepted formats", () => {
  test("PNG with alpha: transparent parts become white", async () => {
    // 100x100: left half fully transparent, right half opaque red.
    const rgba = Buffer.alloc(100 * 100 * 4);
    for (let y = 0; y < 100; y++) {
      for (let x = 50; x < 100; x++) rgba.set([255, 0, 0, 255], (y * 100 + x) * 4);
    }
    const png = await sharp(rgba, { raw: { width: 100, height: 100, channels: 4 } })
      .png()
      .toBuffer();
    assert.equal((await sharp(png).metadata()).hasAlpha, true);
    const sizes = await processor.process(png, sizesForShortSide);
    assert.deepEqual(edges(sizes), [48, 64, 96]);
    const [small] = sizes;
    assert.ok(small);
    await assertCleanSquareJpeg(small, 48);
    const pixels = await rgbPixels(small.bytes);
    const at = (x: number, y: number) => [
      ...pixels.subarray((y * 48 + x) * 3, (y * 48 + x) * 3 + 3),
    ];
    for (const channel of at(5, 24)) assert.ok(channel > 245, `white expected, got ${at(5, 24)}`);
    const [r, g, b] = at(42, 24);
    assert.ok(
      (r ?? 0) > 240 && (g ?? 255) < 15 && (b ?? 255) < 15,
      `red expected, got ${at(42, 24)}`,
    );
  });

  test("WebP", async () => {
    const webp = await solidImage(120, 80, "webp", "#22aa44");
    assert.equal(detectFormat(webp), "webp");
    const sizes = await processor.process(webp, sizesForShortSide);
    assert.deepEqual(edges(sizes), [48, 64]);
    for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
    const [r, g, b] = await meanColour(sizes[0]?.bytes ?? Buffer.alloc(0));
    assert.ok(Math.abs(r - 0x22) < 6 && Math.abs(g - 0xaa) < 6 && Math.abs(b - 0x44) < 6);
  });

  test("animated GIF: the first frame only", async () => {
    const frames = await Promise.all(
      ["#ff0000", "#00ff00", "#0000ff"].map((c) =>
        sharp({ create: { width: 80, height: 60, channels: 3, background: c } })
          .raw()
          .toBuffer(),
      ),
    );
    const gif = await sharp(Buffer.concat(frames), {
      raw: { width: 80, height: 180, channels: 3, pageHeight: 60 },
    })
      .gif({ loop: 0, delay: [200, 200, 200] })
      .toBuffer();
    const meta = await sharp(gif, { animated: true }).metadata();
    assert.equal(meta.pages, 3, "the input is animated");
    const sizes = await processor.process(gif, sizesForShortSide);
    assert.deepEqual(edges(sizes), [48], "sized from one 80x60 frame, not the 80x180 strip");
    await assertCleanSquareJpeg(sizes[0] ?? { edge: 0, bytes: Buffer.alloc(0) }, 48);
    const [r, g, b] = await meanColour(sizes[0]?.bytes ?? Buffer.alloc(0));
    assert.ok(r > 240 && g < 15 && b < 15, "the first (red) frame");
  });

  test("CMYK JPEG becomes sRGB", async () => {
    const cmyk = await sharp({
      create: { width: 64, height: 64, channels: 3, background: "#2060c0" },
    })
      .toColourspace("cmyk")
      .jpeg({ quality: 95 })
      .toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, "cmyk");
    const [size] = await processor.process(cmyk, sizesForShortSide);
    assert.ok(size);
    await assertCleanSquareJpeg(size, 48);
    // The reference is libvips's own CMYK -> sRGB conversion of the same input (the colour
    // itself moves a little: #2060c0 is outside the CMYK gamut).
    const reference = await sharp(cmyk).toColourspace("srgb").raw().toBuffer();
    const got = await meanColour(size.bytes);
    for (const [i, value] of got.entries()) {
      assert.ok(
        Math.abs(value - (reference[i] ?? 0)) < 4,
        `${got} vs ${[...reference.subarray(0, 3)]}`,
      );
    }
    assert.ok(got[2] > 150 && got[0] < 40, `blue expected, got ${got}`);
  });

  test("16-bit grey PNG with alpha becomes 8-bit sRGB without alpha", async () => {
    const png = await sharp({
      create: { width: 60, height: 60, channels: 4, background: { r: 90, g: 90, b: 90, alpha: 1 } },
    })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    const meta = await sharp(png).metadata();
    assert.equal(meta.depth, "ushort");
    const [size] = await processor.process(png, sizesForShortSide);
    assert.ok(size);
    await assertCleanSquareJpeg(size, 48);
  });

  test("a JPEG with a malformed EXIF block (offsets pointing nowhere) is accepted", async () => {
    const plain = await solidImage(100, 80, "jpeg");
    const exif = Buffer.concat([
      Buffer.from("Exif\0\0II*\0", "latin1"),
      Buffer.from([0xff, 0xff, 0xff, 0x7f]),
      Buffer.alloc(20, 0xee),
    ]);
    const app1 = Buffer.concat([
      Buffer.from([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff]),
      exif,
    ]);
    const input = Buffer.concat([plain.subarray(0, 2), app1, plain.subarray(2)]);
    const sizes = await processor.process(input, sizesForShortSide);
    assert.deepEqual(edges(sizes), [48, 64]);
    for (const size of sizes) await assertCleanSquareJpeg(size, size.edge);
  });
});

test("the crop is the centred square", async () => {
  // 300x100: blue | red | green thirds; the centred 100x100 square is all red.
  const thirds = await sharp({
    create: { width: 300, height: 100, channels: 3, background: "#0000ff" },
  })
    .composite([
      {
        input: { create: { width: 100, height: 100, channels: 3, background: "#ff0000" } },
        left: 100,
        top: 0,
      },
      {
        input: { create: { width: 100, height: 100, channels: 3, background: "#00ff00" } },
        left: 200,
        top: 0,
      },
    ])
    .png()
    .toBuffer();
  const [size] = await processor.process(thirds, sizesForShortSide);
  const [r, g, b] = await meanColour(size?.bytes ?? Buffer.alloc(0));
  assert.ok(r > 235 && g < 20 && b < 20, `red expected, got ${[r, g, b].map(Math.round)}`);
});

test("edgesFor returning an edge larger than the image is a programming error", async () => {
  await assert.rejects(
    processor.process(await solidImage(60, 60, "jpeg"), () => [48, 96]),
    RangeError,
  );
});
