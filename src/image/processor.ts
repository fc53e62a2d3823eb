/**
 * The upload pipeline: raw upload bytes in, the square JPEG sizes out.
 *
 * 1. The format comes from the bytes; anything but JPEG, PNG, WebP and GIF is refused before
 *    any decoder runs, and so is a file that stops before its end marker (truncated).
 * 2. The header alone decides the pixel limit, before pixels are decoded.
 * 3. EXIF orientation is applied; the upright shorter side picks the sizes (or "too small").
 * 4. One decode to the largest size's centred square, then every size freshly encoded as a
 *    baseline sRGB JPEG without metadata, in parallel.
 * Work is bounded: `concurrency` images at once, `queueLimit` waiting, the rest refused (503).
 */
import { GraphError } from "../errors.ts";
import type { AcceptedFormat } from "./detect-format.ts";
import { detectFormat, formatName, isAcceptedFormat } from "./detect-format.ts";
import { assertEndMarker } from "./end-marker.ts";
import type { Limiter } from "./limiter.ts";
import { createLimiter } from "./limiter.ts";
import { toImageError } from "./sharp-errors.ts";
import type { RawSquare } from "./sharp-pipeline.ts";
import { decodeSquare, encodeJpeg, readHeader } from "./sharp-pipeline.ts";
import { configureSharp } from "./sharp-setup.ts";
import { chooseEdges } from "./size-rules.ts";

export interface ImageLimits {
  /** Largest width x height accepted, as declared by the header. */
  maxInputPixels: number;
  /** Images processed at once. */
  concurrency: number;
  /** Images allowed to wait for a slot; more are refused with 503. */
  queueLimit: number;
}

/** One stored size: `edge` x `edge` pixels, baseline JPEG bytes. */
export interface SquareImage {
  edge: number;
  bytes: Buffer;
}

export interface ImageProcessor {
  /** edgesFor(shortSide) returns the square edges to produce (ascending); [] means too small. */
  process(
    bytes: Uint8Array,
    edgesFor: (shortSide: number) => readonly number[],
  ): Promise<SquareImage[]>;
  /** Throws 503 `serviceNotAvailable` when an image arriving now would be refused. */
  refuseIfFull(): void;
  stats(): { active: number; queued: number };
}

const ACCEPTED_LIST = "JPEG, PNG, WebP or GIF";

export function createImageProcessor(limits: ImageLimits): ImageProcessor {
  if (!Number.isFinite(limits.maxInputPixels) || limits.maxInputPixels < 1) {
    throw new RangeError(`maxInputPixels must be positive, got ${limits.maxInputPixels}`);
  }
  configureSharp();
  const limiter: Limiter = createLimiter(limits);
  return {
    async process(bytes, edgesFor) {
      // Cheap and synchronous: refused formats never take a slot or reach sharp.
      const format = acceptedFormat(bytes);
      assertEndMarker(format, bytes);
      return limiter.run(() => processImage(bytes, format, edgesFor, limits.maxInputPixels));
    },
    refuseIfFull: () => limiter.refuseIfFull(),
    stats: () => limiter.stats(),
  };
}

function acceptedFormat(bytes: Uint8Array): AcceptedFormat {
  const format = detectFormat(bytes);
  if (format === undefined) {
    throw new GraphError(
      "InvalidImage",
      `The body is not a recognisable image; send ${ACCEPTED_LIST}.`,
    );
  }
  if (!isAcceptedFormat(format)) {
    throw new GraphError(
      "UnsupportedMediaType",
      `${formatName(format)} images are not supported; send ${ACCEPTED_LIST}.`,
    );
  }
  return format;
}

/** Runs a sharp step on user bytes, turning any failure into a 4xx GraphError. */
async function fromUserBytes<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw toImageError(error);
  }
}

async function processImage(
  bytes: Uint8Array,
  format: AcceptedFormat,
  edgesFor: (shortSide: number) => readonly number[],
  maxInputPixels: number,
): Promise<SquareImage[]> {
  const header = await fromUserBytes(() => readHeader(bytes));
  // libvips sniffs on its own; it must agree with the signature check.
  if (header.format !== format) {
    throw new GraphError("InvalidImage", "The image could not be decoded.");
  }
  const pixels = header.width * header.height;
  if (pixels > maxInputPixels) {
    throw new GraphError(
      "ImageDimensionsTooLarge",
      `The image is ${header.width}x${header.height} (${pixels} pixels); ` +
        `at most ${maxInputPixels} pixels are allowed.`,
    );
  }

  const edges = chooseEdges(header.uprightWidth, header.uprightHeight, edgesFor);
  const largest = edges[edges.length - 1] as number;
  const decoded = await fromUserBytes(() => decodeSquare(bytes, largest, maxInputPixels));
  if (decoded.width !== largest || decoded.height !== largest || decoded.channels !== 3) {
    throw new Error(
      `Decoded ${decoded.width}x${decoded.height}x${decoded.channels}, expected ${largest}x${largest}x3`,
    );
  }
  const square: RawSquare = { edge: largest, pixels: decoded.pixels };

  // Encoding reads only our own decoded pixels, so a failure here is a server fault, not a 4xx.
  return Promise.all(edges.map(async (edge) => ({ edge, bytes: await encodeJpeg(square, edge) })));
}
