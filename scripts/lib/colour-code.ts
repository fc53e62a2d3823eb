/**
 * Images that say which upload they came from, whatever Portrait does to them. An upload id is
 * written as two solid colours, the top half and the bottom half of the picture; each channel
 * takes one of 11 well separated levels, so an id survives cropping, scaling and JPEG encoding
 * and is read back from any stored size. A size that is not two clean solid bands (a mix of two
 * uploads, a torn or corrupt write) reads as a problem, never as some other id.
 */
import sharp, { type OutputInfo } from "sharp";

/** Channel levels 10, 34, ..., 250: 24 apart, so JPEG noise of up to 11 cannot confuse them. */
const LEVELS = Array.from({ length: 11 }, (_, index) => 10 + 24 * index);
const COLOURS = LEVELS.length ** 3;
/** Ids 0 .. MAX_CODE_ID. */
export const MAX_CODE_ID = COLOURS * COLOURS - 1;
/** Largest distance of a band's mean from a level, and of any pixel from its band's mean. */
const MEAN_TOLERANCE = 8;
const PIXEL_TOLERANCE = 24;

type Rgb = [number, number, number];

function colourOf(index: number): Rgb {
  const at = (i: number) => LEVELS[i] as number;
  return [at(index % 11), at(Math.floor(index / 11) % 11), at(Math.floor(index / 121))];
}

/** The top and bottom colours of an id. */
export function codeColours(id: number): { top: Rgb; bottom: Rgb } {
  if (!Number.isInteger(id) || id < 0 || id > MAX_CODE_ID) {
    throw new RangeError(`code id must be a whole number from 0 to ${MAX_CODE_ID}, got ${id}`);
  }
  return { top: colourOf(id % COLOURS), bottom: colourOf(Math.floor(id / COLOURS)) };
}

/** A `width` x `height` JPEG (quality 95) carrying `id`; the band edge is at half the height. */
export async function makeCodedJpeg(id: number, width: number, height: number): Promise<Buffer> {
  const { top, bottom } = codeColours(id);
  const pixels = Buffer.alloc(width * height * 3);
  const half = Math.floor(height / 2);
  for (let y = 0; y < height; y++) {
    const [r, g, b] = y < half ? top : bottom;
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      pixels[offset] = r;
      pixels[offset + 1] = g;
      pixels[offset + 2] = b;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: "4:4:4" })
    .toBuffer();
}

export type CodeReading =
  | { ok: true; id: number; width: number; height: number }
  | { ok: false; problem: string };

/**
 * Decodes an image and reads its id from two bands well away from the middle (10-30% and
 * 70-90% of the height), where neither scaling nor JPEG blocks blend the two colours.
 */
export async function readCode(bytes: Uint8Array): Promise<CodeReading> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes)
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    return { ok: false, problem: `not a decodable image (${(error as Error).message})` };
  }
  const { data, info } = decoded;
  const { width, height, channels } = info;
  const band = (from: number, to: number) =>
    readBand(data, width, channels, Math.floor(height * from), Math.ceil(height * to));
  const top = band(0.1, 0.3);
  const bottom = band(0.7, 0.9);
  if (!top.ok) return { ok: false, problem: `top band: ${top.problem}` };
  if (!bottom.ok) return { ok: false, problem: `bottom band: ${bottom.problem}` };
  return { ok: true, id: top.index + COLOURS * bottom.index, width, height };
}

type BandReading = { ok: true; index: number } | { ok: false; problem: string };

function readBand(
  data: Buffer,
  width: number,
  channels: number,
  fromRow: number,
  toRow: number,
): BandReading {
  const sums = [0, 0, 0];
  let count = 0;
  for (let y = fromRow; y < toRow; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) sums[c] = (sums[c] ?? 0) + (data[offset + c] ?? 0);
      count++;
    }
  }
  if (count === 0) return { ok: false, problem: "the image is too small to read" };
  const mean = sums.map((sum) => sum / count);
  for (let y = fromRow; y < toRow; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) {
        const deviation = Math.abs((data[offset + c] ?? 0) - (mean[c] ?? 0));
        if (deviation > PIXEL_TOLERANCE) {
          return {
            ok: false,
            problem: `not one solid colour (pixel ${x},${y} is off by ${deviation})`,
          };
        }
      }
    }
  }
  let index = 0;
  for (let c = 2; c >= 0; c--) {
    const value = mean[c] ?? 0;
    const level = Math.round((value - 10) / 24);
    if (level < 0 || level > 10 || Math.abs(value - (10 + 24 * level)) > MEAN_TOLERANCE) {
      return {
        ok: false,
        problem: `mean colour ${mean.map(Math.round).join(",")} is no code colour`,
      };
    }
    index = index * 11 + level;
  }
  return { ok: true, index };
}
