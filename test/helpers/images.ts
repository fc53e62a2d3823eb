/** Images made in the tests themselves with sharp, so each test shows what it feeds in. */
import sharp, { type Sharp } from "sharp";

/** A JPEG of the given size with a diagonal gradient (so crops and rotations are visible). */
export async function makeJpeg(width: number, height: number, quality = 90): Promise<Buffer> {
  return makeImage(width, height).jpeg({ quality }).toBuffer();
}

export async function makePng(width: number, height: number): Promise<Buffer> {
  return makeImage(width, height).png().toBuffer();
}

function makeImage(width: number, height: number): Sharp {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      pixels[offset] = Math.floor((255 * x) / width);
      pixels[offset + 1] = Math.floor((255 * y) / height);
      pixels[offset + 2] = 128;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}
