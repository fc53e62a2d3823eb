/**
 * What the crash soak knows about each photo, and the uploads it makes. One upload stream owns
 * one user's photo and uploads to it one at a time, so per photo there is at most one upload in
 * flight and "the last acknowledged upload" is well defined.
 */
import { sizesForShortSide } from "../../src/photos/sizes.ts";

export interface Upload {
  /** Global, never reused: written into the image (see colour-code.ts). */
  id: number;
  /** Index of the photo (stream) it was made for. */
  photo: number;
  width: number;
  height: number;
  /** The sizes this upload must yield, ascending. */
  edges: number[];
}

/** Bytes of one size as read from the server, with the ETag it was served with. */
export interface ReadSize {
  etag: string;
  bytes: Buffer;
}

export interface DurableVersion {
  upload: Upload;
  /** The sizes read back from the server so far (all of them unless a kill cut the reads). */
  read: Map<number, ReadSize>;
  /** True when the upload got its 200 before the kill (false: found only after a restart). */
  acknowledged: boolean;
}

export interface PhotoState {
  index: number;
  userId: string;
  /** The newest version known durable: acknowledged, or found after a restart. */
  durable: DurableVersion | undefined;
  /** The upload sent and not yet answered (at most one per photo). */
  inFlight: Upload | undefined;
}

/** Short sides yielding 1..9 sizes, so different uploads of a photo have different size sets. */
const SHORT_SIDES = [50, 70, 100, 130, 250, 400, 450, 520, 660];

/** A small seeded generator (mulberry32): the same seed gives the same uploads and kill delays. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Plans uploads: ids in order, dimensions drawn from `random`. */
export function createUploadPlanner(random: () => number) {
  let nextId = 1;
  const all = new Map<number, Upload>();
  return {
    next(photo: number): Upload {
      const short = SHORT_SIDES[randomInt(random, 0, SHORT_SIDES.length - 1)] ?? 48;
      const long = short + randomInt(random, 0, 200);
      const landscape = random() < 0.5;
      const upload: Upload = {
        id: nextId++,
        photo,
        width: landscape ? long : short,
        height: landscape ? short : long,
        edges: sizesForShortSide(short),
      };
      all.set(upload.id, upload);
      return upload;
    },
    /** Every upload planned so far, by id. */
    find: (id: number): Upload | undefined => all.get(id),
  };
}

export type UploadPlanner = ReturnType<typeof createUploadPlanner>;

export function describeUpload(upload: Upload): string {
  return `upload #${upload.id} (${upload.width}x${upload.height}, sizes ${upload.edges.join("/")})`;
}
