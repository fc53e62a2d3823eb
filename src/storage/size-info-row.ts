/**
 * The row both stores' `getPhotoSizeInfo` query returns: an object LEFT JOINed to one size of
 * its photo, so every column is null when the object has no such size.
 */
import type { SizeInfo } from "../photos/store.ts";

export type SizeInfoJoinRow = { [K in keyof SizeInfo]: SizeInfo[K] | null };

export function fromSizeInfoJoinRow(row: SizeInfoJoinRow): SizeInfo | undefined {
  const { edge, etag, length } = row;
  return edge === null || etag === null || length === null ? undefined : { edge, etag, length };
}
