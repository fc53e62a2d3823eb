/**
 * The sharp steps of the upload pipeline: read the header, decode once to an upright, centred,
 * sRGB square of the largest edge, and encode each size from that square. sharp types stay in
 * this directory; callers see Buffers and numbers.
 */
import type { SharpOptions } from "sharp";
import sharp from "sharp";

/**
 * `failOn: "warning"` (the strictest level): a truncated file and corrupt entropy-coded data are
 * both refused, while a malformed EXIF/XMP block is not a decoder warning and is accepted.
 * "truncated" and "error" let bit-flipped JPEG scan data through as garbage pixels; "none" also
 * lets truncated files through, filled with grey.
 */
const FAIL_ON = "warning";

const JPEG_OPTIONS = {
  quality: 86,
  // Baseline (sequential) JPEG: every client and library decodes it.
  progressive: false,
  // Full-resolution chroma: no colour bleeding on small, sharp-edged avatars.
  chromaSubsampling: "4:4:4",
  // Optimised Huffman tables are still baseline. Trellis quantisation is left off: on a small
  // machine it made encoding the nine sizes about five times slower for ~10% fewer bytes.
  optimiseCoding: true,
} as const;

export interface ImageHeader {
  format: string;
  /** As stored, before EXIF orientation. */
  width: number;
  height: number;
  /** As displayed, after EXIF orientation. */
  uprightWidth: number;
  uprightHeight: number;
}

export interface DecodedPixels {
  pixels: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Decoded sRGB pixels of a square, 3 channels, 8 bits, no alpha. */
export interface RawSquare {
  edge: number;
  pixels: Buffer;
}

function inputOptions(maxInputPixels: number | false): SharpOptions {
  return {
    failOn: FAIL_ON,
    limitInputPixels: maxInputPixels,
    autoOrient: true,
    // First frame only: an animated GIF or WebP becomes a still.
    pages: 1,
  };
}

/**
 * Reads the header only; no pixels are decoded. The pixel limit is checked by the caller from
 * these numbers, so it is not applied here.
 */
export async function readHeader(bytes: Uint8Array): Promise<ImageHeader> {
  const meta = await sharp(bytes, inputOptions(false)).metadata();
  return {
    format: meta.format,
    width: meta.width,
    height: meta.height,
    uprightWidth: meta.autoOrient.width,
    uprightHeight: meta.autoOrient.height,
  };
}

/**
 * Decodes, applies EXIF orientation, crops the centred square and scales it to `edge`, converts
 * to sRGB (through the embedded ICC profile, if any) and flattens alpha on white.
 * `limitInputPixels` is a second guard behind the header check.
 */
export async function decodeSquare(
  bytes: Uint8Array,
  edge: number,
  maxInputPixels: number,
): Promise<DecodedPixels> {
  const { data, info } = await sharp(bytes, inputOptions(maxInputPixels))
    .resize(edge, edge, { fit: "cover", position: "centre" })
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { pixels: data, width: info.width, height: info.height, channels: info.channels };
}

/** A fresh baseline JPEG of the square at `edge` (no metadata of any kind is written). */
export function encodeJpeg(square: RawSquare, edge: number): Promise<Buffer> {
  let pipeline = sharp(square.pixels, {
    raw: { width: square.edge, height: square.edge, channels: 3 },
  });
  if (edge !== square.edge) pipeline = pipeline.resize(edge, edge, { kernel: "lanczos3" });
  return pipeline.jpeg(JPEG_OPTIONS).toBuffer();
}
