/** The nine square sizes Graph serves, smallest first, and the rules that pick them. */

export const PHOTO_SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648] as const;

export type PhotoSize = (typeof PHOTO_SIZES)[number];

export const SMALLEST_SIZE: PhotoSize = 48;

/** Every size whose edge fits in the shorter side of the upload, smallest first. */
export function sizesForShortSide(shortSide: number): PhotoSize[] {
  return PHOTO_SIZES.filter((edge) => edge <= shortSide);
}

export function isPhotoSize(edge: number): edge is PhotoSize {
  return (PHOTO_SIZES as readonly number[]).includes(edge);
}

/** Graph's id of a size: `648X648`. */
export function sizeId(edge: number): string {
  return `${edge}X${edge}`;
}

export type SizeLabel =
  | { kind: "size"; edge: PhotoSize }
  /** Well formed (`NxM`) but not one of the nine: no such photo. */
  | { kind: "unavailable" }
  /** Not of the form `NxM`. */
  | { kind: "malformed" };

const LABEL = /^(\d+)x(\d+)$/i;

/** Reads a size label from a URL (`48x48`, `48X48`). */
export function parseSizeLabel(label: string): SizeLabel {
  const match = LABEL.exec(label);
  if (!match) return { kind: "malformed" };
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width !== height || !isPhotoSize(width)) return { kind: "unavailable" };
  return { kind: "size", edge: width };
}
