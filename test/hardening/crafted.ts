/**
 * Hostile inputs written byte by byte (or made with sharp, then rewritten), so that each test
 * shows what it feeds in: deterministic noise, pixel floods whose headers declare huge
 * dimensions, and minimal files of the refused formats.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import sharp from "sharp";

/** Deterministic bytes that look random. */
export function noise(length: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(createHash("sha256").update(`${seed}:${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function u16le(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function solid(width: number, height: number, channels: 3 | 4 = 3) {
  const background = channels === 3 ? "#3366cc" : { r: 51, g: 102, b: 204, alpha: 0.5 };
  return sharp({ create: { width, height, channels, background } });
}

/** A complete 8x8 baseline JPEG whose frame header (SOF0) declares width x height. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await solid(8, 8).jpeg().toBuffer());
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0, "SOF0 found");
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

/** A complete 1x1 PNG whose IHDR declares width x height, with a valid CRC. */
export async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const tiny = await solid(1, 1).png().toBuffer();
  const ihdr = Buffer.from(tiny.subarray(16, 29));
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  return Buffer.concat([tiny.subarray(0, 8), pngChunk("IHDR", ihdr), tiny.subarray(33)]);
}

/**
 * A GIF89a written by hand: a logical screen, a two-colour global table, one image descriptor
 * and one pixel of LZW data, then the trailer. Screen and frame sizes are independent.
 */
export function gifDeclaring(screen: [number, number], frame: [number, number]): Buffer {
  return Buffer.concat([
    Buffer.from("GIF89a", "latin1"),
    u16le(screen[0]),
    u16le(screen[1]),
    Buffer.from([0x80, 0, 0, 0, 0, 0, 255, 255, 255]),
    Buffer.from([0x2c]),
    u16le(0),
    u16le(0),
    u16le(frame[0]),
    u16le(frame[1]),
    Buffer.from([0, 2, 2, 0x44, 0x01, 0, 0x3b]),
  ]);
}

/** Offset of the data of the first RIFF chunk named `fourcc` in a WebP. */
function riffData(webp: Buffer, fourcc: string): number {
  for (let at = 12; at + 8 <= webp.length; ) {
    const size = webp.readUInt32LE(at + 4);
    if (webp.toString("latin1", at, at + 4) === fourcc) return at + 8;
    at += 8 + size + (size & 1);
  }
  assert.fail(`no ${fourcc} chunk`);
}

/** Rewrites the frame size of a lossy "VP8 " bitstream (14 bits each, after the start code). */
function setVp8Size(webp: Buffer, edge: number): void {
  const startCode = webp.indexOf(Buffer.from([0x9d, 0x01, 0x2a]), riffData(webp, "VP8 "));
  webp.writeUInt16LE(edge, startCode + 3);
  webp.writeUInt16LE(edge, startCode + 5);
}

/** Rewrites the canvas of a VP8X header (24 bits each, minus one). */
function setCanvas(webp: Buffer, edge: number): void {
  const data = riffData(webp, "VP8X");
  webp.writeUIntLE(edge - 1, data + 4, 3);
  webp.writeUIntLE(edge - 1, data + 7, 3);
}

export type WebpFloodKind = "VP8" | "VP8L" | "VP8X" | "VP8X animated";

/**
 * A real 64x64 WebP whose header declares edge x edge (libwebp allows at most 16383): a simple
 * lossy file, a lossless one, an extended (VP8X)
 * still with alpha whose canvas and frame agree, or an animation of two 64x64 frames on a huge
 * canvas.
 */
export async function webpDeclaring(kind: WebpFloodKind, edge: number): Promise<Buffer> {
  if (kind === "VP8") {
    const webp = Buffer.from(await solid(64, 64).webp().toBuffer());
    setVp8Size(webp, edge);
    return webp;
  }
  if (kind === "VP8L") {
    const webp = Buffer.from(await solid(64, 64).webp({ lossless: true }).toBuffer());
    const at = riffData(webp, "VP8L") + 1;
    const bits = webp.readUInt32LE(at);
    webp.writeUInt32LE(((bits & 0xf0000000) | (edge - 1) | ((edge - 1) << 14)) >>> 0, at);
    return webp;
  }
  if (kind === "VP8X") {
    const webp = Buffer.from(await solid(64, 64, 4).webp().toBuffer());
    setCanvas(webp, edge);
    setVp8Size(webp, edge);
    return webp;
  }
  // Two different frames: identical ones would be written as a still image.
  const frames = await Promise.all([
    solid(64, 64).png().toBuffer(),
    solid(64, 64, 4).png().toBuffer(),
  ]);
  const webp = Buffer.from(
    await sharp(frames, { join: { animated: true } })
      .webp()
      .toBuffer(),
  );
  setCanvas(webp, edge);
  return webp;
}

/** A real 64x64 TIFF (made with sharp) whose first IFD declares width x height. */
export async function tiffDeclaring(width: number, height: number): Promise<Buffer> {
  const tiff = Buffer.from(await solid(64, 64).tiff().toBuffer());
  assert.equal(tiff.toString("latin1", 0, 2), "II", "little-endian TIFF");
  const ifd = tiff.readUInt32LE(4);
  for (let i = 0; i < tiff.readUInt16LE(ifd); i++) {
    const entry = ifd + 2 + i * 12;
    const tag = tiff.readUInt16LE(entry);
    if (tag !== 256 && tag !== 257) continue;
    const value = tag === 256 ? width : height;
    if (tiff.readUInt16LE(entry + 2) === 3) tiff.writeUInt16LE(value, entry + 8);
    else tiff.writeUInt32LE(value, entry + 8);
  }
  return tiff;
}

/** A valid 2x2, 24-bit BMP (file header, BITMAPINFOHEADER, two padded rows). */
export function minimalBmp(): Buffer {
  const header = Buffer.alloc(54);
  header.write("BM", 0, "latin1");
  header.writeUInt32LE(54 + 16, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(16, 34);
  return Buffer.concat([header, Buffer.alloc(16, 0x80)]);
}

/** A valid ICO with one 16x16 entry holding a PNG. */
export async function minimalIco(): Promise<Buffer> {
  const png = await solid(16, 16, 4).png().toBuffer();
  const directory = Buffer.alloc(22);
  directory.writeUInt16LE(1, 2); // type: icon
  directory.writeUInt16LE(1, 4); // one image
  directory.writeUInt8(16, 6);
  directory.writeUInt8(16, 7);
  directory.writeUInt16LE(1, 10); // planes
  directory.writeUInt16LE(32, 12); // bits per pixel
  directory.writeUInt32LE(png.length, 14);
  directory.writeUInt32LE(22, 18);
  return Buffer.concat([directory, png]);
}

/** A one-page PDF, the smallest a reader accepts (it rebuilds the missing xref table). */
export function minimalPdf(): Buffer {
  return Buffer.from(
    "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" +
      "1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" +
      "2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n" +
      "3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 30000 30000]>> endobj\n" +
      "trailer <</Root 1 0 R>>\n%%EOF\n",
    "latin1",
  );
}
