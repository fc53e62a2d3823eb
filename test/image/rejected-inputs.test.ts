/** Refused inputs made here, with sharp or by writing the bytes, so each test shows what it feeds in. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { createImageProcessor } from "../../src/image/processor.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { assertCleanSquareJpeg, graphError, sharedImage, solidImage } from "./helpers.ts";

const processor = createImageProcessor({
  maxInputPixels: 50_000_000,
  concurrency: 2,
  queueLimit: 16,
});

/** Deterministic bytes that look random. */
function noise(length: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(createHash("sha256").update(`${seed}:${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real 1x1 PNG whose IHDR is rewritten (with a valid CRC) to declare width x height. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const tiny = await solidImage(1, 1, "png");
  const ihdr = Buffer.from(tiny.subarray(16, 29));
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  return Buffer.concat([tiny.subarray(0, 8), pngChunk("IHDR", ihdr), tiny.subarray(33)]);
}

/** A real 8x8 JPEG whose SOF0 is rewritten to declare width x height. */
async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await solidImage(8, 8, "jpeg"));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0);
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

const edges = (sizes: Array<{ edge: number }>) => sizes.map((s) => s.edge);

describe("not images, truncated or corrupt: 400 InvalidImage", () => {
  const cases: Record<string, () => Promise<Uint8Array>> = {
    empty: async () => new Uint8Array(0),
    "one byte": async () => new Uint8Array([0xff]),
    "random bytes": async () => noise(4096, "random"),
    "JPEG header then garbage": async () =>
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), noise(2000, "jpeg")]),
    "PNG signature and IHDR only": async () => (await solidImage(60, 60, "png")).subarray(0, 33),
    "GIF header then garbage": async () =>
      Buffer.concat([Buffer.from("GIF89a", "latin1"), noise(500, "gif")]),
    "WebP RIFF header then garbage": async () =>
      Buffer.concat([Buffer.from("RIFF\x10\0\0\0WEBPVP8 ", "latin1"), noise(500, "webp")]),
    "truncated PNG": async () => {
      const png = await sharp({
        create: {
          width: 300,
          height: 300,
          channels: 3,
          background: "#000",
          noise: { type: "gaussian", mean: 128, sigma: 40 },
        },
      })
        .png()
        .toBuffer();
      return png.subarray(0, Math.floor(png.length / 2));
    },
    "truncated JPEG (a real photo cut at 60%)": async () => {
      const photo = sharedImage("gps/DSCN0010.jpg");
      return photo.subarray(0, Math.floor(photo.length * 0.6));
    },
    "corrupt JPEG scan data (bytes flipped mid-scan, file complete)": async () => {
      const photo = Buffer.from(sharedImage("gps/DSCN0010.jpg"));
      for (let k = 0; k < 50; k++) {
        const at = Math.floor(photo.length / 2) + k * 37;
        if (photo[at] !== 0xff && photo[at - 1] !== 0xff) photo[at] = (photo[at] ?? 0) ^ 0x5a;
      }
      return photo;
    },
  };
  for (const [name, make] of Object.entries(cases)) {
    test(name, async () => {
      await assert.rejects(
        processor.process(await make(), sizesForShortSide),
        graphError("InvalidImage"),
      );
    });
  }
});

describe("recognised but refused: 415 naming the format", () => {
  const cases: Record<string, [RegExp, () => Promise<Uint8Array>]> = {
    SVG: [/^SVG images/, async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    AVIF: [
      /^AVIF images/,
      () =>
        sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
          .avif()
          .toBuffer(),
    ],
    TIFF: [
      /^TIFF images/,
      () =>
        sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
          .tiff()
          .toBuffer(),
    ],
    BMP: [
      /^BMP images/,
      async () =>
        Buffer.concat([
          Buffer.from("BM", "latin1"),
          Buffer.from([0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0]),
          Buffer.alloc(60),
        ]),
    ],
    PDF: [
      /^PDF images/,
      async () => Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "latin1"),
    ],
  };
  for (const [name, [message, make]] of Object.entries(cases)) {
    test(name, async () => {
      await assert.rejects(
        processor.process(await make(), sizesForShortSide),
        graphError("UnsupportedMediaType", message),
      );
    });
  }
});

describe("pixel limit, from the header", () => {
  test("a 1x1 PNG declaring 30000x30000 is refused before any decoding", async () => {
    const flood = await pngDeclaring(30_000, 30_000);
    const meta = await sharp(flood, { limitInputPixels: false }).metadata();
    assert.equal(`${meta.width}x${meta.height}`, "30000x30000", "the header declares it");
    // Its pixel data holds one pixel, so any attempt to decode it would fail as InvalidImage.
    await assert.rejects(
      processor.process(flood, sizesForShortSide),
      graphError("ImageDimensionsTooLarge", /30000x30000/),
    );
  });

  test("a JPEG declaring 30000x30000", async () => {
    await assert.rejects(
      processor.process(await jpegDeclaring(30_000, 30_000), sizesForShortSide),
      graphError("ImageDimensionsTooLarge"),
    );
  });

  test("exactly the limit is accepted, one pixel row more is not", async () => {
    const strict = createImageProcessor({
      maxInputPixels: 100 * 100,
      concurrency: 1,
      queueLimit: 4,
    });
    const ok = await strict.process(await solidImage(100, 100, "png"), sizesForShortSide);
    assert.deepEqual(edges(ok), [48, 64, 96]);
    await assert.rejects(
      strict.process(await solidImage(100, 101, "png"), sizesForShortSide),
      graphError("ImageDimensionsTooLarge"),
    );
  });
});

describe("too small", () => {
  test("47x200 is ValidationWidthTooSmall", async () => {
    await assert.rejects(
      processor.process(await solidImage(47, 200, "jpeg"), sizesForShortSide),
      graphError("ValidationWidthTooSmall", /47x200.*48 pixels/),
    );
  });

  test("200x47 is ValidationHeightTooSmall", async () => {
    await assert.rejects(
      processor.process(await solidImage(200, 47, "png"), sizesForShortSide),
      graphError("ValidationHeightTooSmall", /200x47.*48 pixels/),
    );
  });

  test("the upright size counts: 200x47 stored with EXIF orientation 6 is 47 wide", async () => {
    const turned = await sharp({
      create: { width: 200, height: 47, channels: 3, background: "#abc" },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.equal((await sharp(turned).metadata()).orientation, 6);
    await assert.rejects(
      processor.process(turned, sizesForShortSide),
      graphError("ValidationWidthTooSmall", /47x200/),
    );
  });

  test("48x48 is just enough", async () => {
    const sizes = await processor.process(await solidImage(48, 48, "gif"), sizesForShortSide);
    assert.deepEqual(edges(sizes), [48]);
    await assertCleanSquareJpeg(sizes[0] ?? { edge: 0, bytes: Buffer.alloc(0) }, 48);
  });
});
