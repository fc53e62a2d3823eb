/**
 * The rows both stores' `getPhotoSizeInfo` and `getPhotoSizeList` queries return: an object
 * LEFT JOINed to one or every size of its photo, so every column is null when the object has no
 * such size, and there is no row when there is no such object.
 */
import type { SizeInfo } from "../photos/store.ts";

export type SizeInfoJoinRow = { [K in keyof SizeInfo]: SizeInfo[K] | null };

export function fromSizeInfoJoinRow(row: SizeInfoJoinRow): SizeInfo | undefined {
  const { edge, etag, length } = row;
  return edge === null || etag === null || length === null ? undefined : { edge, etag, length };
}

/** `getPhotoSizeList`'s answer from its rows, in their order (smallest first). */
export function fromSizeListRows(
  rows: readonly SizeInfoJoinRow[],
): { sizes: SizeInfo[] } | undefined {
  if (rows.length === 0) return undefined;
  const sizes: SizeInfo[] = [];
  for (const row of rows) {
    const size = fromSizeInfoJoinRow(row);
    if (size) sizes.push(size);
  }
  return { sizes };
}
