/**
 * Refuses uploads that stop before their format's end marker. libvips stops reading once it has
 * the pixels it needs, so without this a JPEG cut just before its EOI marker, a PNG cut inside
 * its IEND chunk, or a GIF cut after its first frame would be accepted although the file is
 * truncated. Bytes after the end marker are allowed (they never reach the stored photo).
 * WebP needs no check here: libwebp refuses a RIFF container shorter than it declares.
 * No decoder runs; only the container structure is walked.
 */
import { GraphError } from "../errors.ts";
import type { AcceptedFormat } from "./detect-format.ts";

export function assertEndMarker(format: AcceptedFormat, bytes: Uint8Array): void {
  if (!reachesEndMarker(format, bytes)) {
    throw new GraphError(
      "InvalidImage",
      "The image could not be decoded: it is truncated or corrupt.",
    );
  }
}

export function reachesEndMarker(format: AcceptedFormat, bytes: Uint8Array): boolean {
  switch (format) {
    case "jpeg":
      return jpegReachesEoi(bytes);
    case "png":
      return pngReachesIend(bytes);
    case "gif":
      return gifReachesTrailer(bytes);
    case "webp":
      return true;
  }
}

function u16be(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function u32be(b: Uint8Array, at: number): number {
  return u16be(b, at) * 0x10000 + u16be(b, at + 2);
}

/**
 * Walks the segments up to the first scan (APP segments may hold a thumbnail with its own EOI),
 * then looks for EOI after it: byte stuffing keeps FF D9 out of entropy-coded data.
 */
function jpegReachesEoi(b: Uint8Array): boolean {
  let at = 2;
  while (at + 1 < b.length) {
    if (b[at] !== 0xff) return false; // not a marker where one must be: corrupt
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
    } else if (marker === 0xd9) {
      return true; // EOI before any scan: libjpeg refuses it as "no image"
    } else if (marker === 0xda) {
      return Buffer.from(b.buffer, b.byteOffset, b.byteLength).includes(EOI, at + 2);
    } else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
    } else {
      at += 2 + u16be(b, at + 2);
    }
  }
  return false;
}

const EOI = Buffer.from([0xff, 0xd9]);

/** Chunk by chunk (length, type, data, CRC) until a complete IEND chunk. */
function pngReachesIend(b: Uint8Array): boolean {
  for (let at = 8; at + 12 <= b.length; ) {
    const end = at + 12 + u32be(b, at);
    if (end > b.length) return false;
    if (b[at + 4] === 0x49 && b[at + 5] === 0x45 && b[at + 6] === 0x4e && b[at + 7] === 0x44) {
      return true; // "IEND"
    }
    at = end;
  }
  return false;
}

/** Bytes taken by a colour table whose presence and size are in a packed-fields byte. */
function colourTable(flags: number): number {
  return flags & 0x80 ? 3 << ((flags & 0x07) + 1) : 0;
}

/** The offset after a chain of data sub-blocks (size byte, data; a zero size ends it). */
function afterSubBlocks(b: Uint8Array, at: number): number {
  let offset = at;
  while (offset < b.length) {
    const size = b[offset] ?? 0;
    if (size === 0) return offset + 1;
    offset += 1 + size;
  }
  return Number.POSITIVE_INFINITY;
}

/** Header, logical screen, then every extension and frame, up to the 0x3B trailer. */
function gifReachesTrailer(b: Uint8Array): boolean {
  let at = 13 + colourTable(b[10] ?? 0);
  while (at < b.length) {
    const introducer = b[at];
    if (introducer === 0x3b) return true;
    if (introducer === 0x21) {
      at = afterSubBlocks(b, at + 2); // extension: introducer, label, sub-blocks
    } else if (introducer === 0x2c) {
      // Image descriptor (10 bytes), local colour table, LZW minimum code size, sub-blocks.
      at = afterSubBlocks(b, at + 10 + colourTable(b[at + 9] ?? 0) + 1);
    } else if (introducer === 0x00) {
      at += 1; // a stray block terminator, written by some encoders
    } else {
      return false;
    }
  }
  return false;
}
