/** Shared helpers for the image pipeline tests: the shared test images, pixels and JPEG bytes. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { isGraphError } from "../../src/errors.ts";
import type { SquareImage } from "../../src/image/processor.ts";

export const IMAGES = "/work/shared/images";

export function sharedImage(relativePath: string): Buffer {
  return readFileSync(join(IMAGES, relativePath));
}

/** Decoded 8-bit RGB pixels of an encoded image, resized to `edge` x `edge` if given. */
export async function rgbPixels(bytes: Uint8Array, edge?: number): Promise<Buffer> {
  let pipeline = sharp(bytes).removeAlpha().toColourspace("srgb");
  if (edge !== undefined) pipeline = pipeline.resize(edge, edge, { fit: "fill" });
  return pipeline.raw().toBuffer();
}

/** Mean absolute difference of two equally sized pixel buffers, 0..255. */
export function meanAbsDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, "pixel buffers differ in size");
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

/** Average R, G, B of an encoded image. */
export async function meanColour(bytes: Uint8Array): Promise<[number, number, number]> {
  const stats = await sharp(bytes).stats();
  const [r, g, b] = stats.channels;
  assert.ok(r && g && b, "three channels");
  return [r.mean, g.mean, b.mean];
}

/** The markers of a JPEG's segments up to the start of scan (0xD8 first, 0xDA last). */
export function jpegHeaderMarkers(bytes: Uint8Array): number[] {
  assert.equal(bytes[0], 0xff);
  assert.equal(bytes[1], 0xd8);
  const markers = [0xd8];
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    assert.equal(bytes[offset], 0xff, `marker expected at ${offset}`);
    const marker = bytes[offset + 1] ?? 0;
    markers.push(marker);
    if (marker === 0xda) break;
    const length = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    offset += 2 + length;
  }
  return markers;
}

export function contains(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(text, 0, "latin1");
}

/**
 * Asserts an output size is a clean baseline JPEG of `edge` x `edge`: sRGB, 3 channels, no
 * metadata of any kind (only the JFIF APP0 header before the frame) and nothing after EOI.
 */
export async function assertCleanSquareJpeg(image: SquareImage, edge: number): Promise<void> {
  assert.equal(image.edge, edge);
  const meta = await sharp(image.bytes).metadata();
  assert.equal(meta.format, "jpeg");
  assert.equal(meta.width, edge);
  assert.equal(meta.height, edge);
  assert.equal(meta.channels, 3);
  assert.equal(meta.space, "srgb");
  assert.equal(meta.isProgressive, false);
  assert.equal(meta.exif, undefined, "no EXIF");
  assert.equal(meta.icc, undefined, "no ICC profile");
  assert.equal(meta.xmp, undefined, "no XMP");
  assert.equal(meta.iptc, undefined, "no IPTC");
  assert.equal(meta.orientation, undefined, "no orientation tag");
  const markers = jpegHeaderMarkers(image.bytes);
  const appOrComment = markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe);
  assert.deepEqual(appOrComment, [], "no APP1..APP15 or COM segment");
  assert.ok(markers.includes(0xc0), "baseline frame (SOF0)");
  assert.ok(!markers.includes(0xc2), "not progressive (SOF2)");
  for (const text of ["Exif\0\0", "http://ns.adobe.com/xap", "ICC_PROFILE", "Photoshop 3.0"]) {
    assert.ok(!contains(image.bytes, text), `no ${JSON.stringify(text)} in the output`);
  }
  const end = image.bytes.subarray(-2);
  assert.deepEqual([...end], [0xff, 0xd9], "ends with EOI");
}

/** An `assert.rejects` matcher for a GraphError with `code` (and optionally a message). */
export function graphError(code: string, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(isGraphError(error), `expected a GraphError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (code !== "serviceNotAvailable") {
      assert.ok(error.status >= 400 && error.status < 500, `4xx expected, got ${error.status}`);
    }
    if (message) assert.match(error.message, message);
    return true;
  };
}

/** A solid-colour image of the given size and format, made with sharp. */
export function solidImage(
  width: number,
  height: number,
  format: "jpeg" | "png" | "webp" | "gif",
  background: string | { r: number; g: number; b: number; alpha: number } = "#3366cc",
): Promise<Buffer> {
  const channels = typeof background === "string" ? 3 : 4;
  return sharp({ create: { width, height, channels, background } }).toFormat(format).toBuffer();
}
