/**
 * Both stores' `pageObjects`: they ask for one row more than the page holds, each row with its
 * creation position (`seq`); that extra row only tells that more follow.
 */
import type { DirectoryObject, ObjectPage, PageRequest } from "../photos/store.ts";

/** Rows to ask for, after which position. */
export function pageQuery(page: PageRequest): { after: number; limit: number } {
  return { after: page.after ?? 0, limit: page.limit + 1 };
}

export function toObjectPage<R extends { seq: number | string }>(
  rows: readonly R[],
  page: PageRequest,
  fromRow: (row: R) => DirectoryObject,
): ObjectPage {
  const kept = rows.slice(0, page.limit);
  // PostgreSQL's bigint arrives as a string.
  const positions = kept.map((row) => Number(row.seq));
  return {
    objects: kept.map(fromRow),
    positions,
    next: rows.length > page.limit ? positions.at(-1) : undefined,
  };
}
