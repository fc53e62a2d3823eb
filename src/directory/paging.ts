/**
 * Pages of users or groups as clients see them, oldest first. With a condition, the store is
 * read on until the page holds `limit` objects that meet it or the objects run out, and the
 * page then continues after the last object read into it. One page reads at most
 * `MAX_SCANNED` objects, letting other requests run between reads: past that, the page ends
 * early (perhaps empty) and the next continues the search, as server-driven paging allows, so
 * that no filter makes one request hold the process for the whole directory.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { ObjectKind, PageRequest, Store } from "../photos/store.ts";
import { publicView } from "./properties.ts";

export type View = Record<string, unknown>;

/** A page of a collection; `next` continues it (a `PageRequest`'s `after`) when more follow. */
export interface ViewPage {
  views: View[];
  next: number | undefined;
}

/** A condition on an object as clients see it (`$filter`). */
export type ViewCondition = (view: View) => boolean;

/** Objects read from the store at a time while looking for those that meet a condition. */
const SCAN = 500;
/** Objects one page reads at most while looking for those that meet a condition. */
export const MAX_SCANNED = 5000;

export async function pageViews(
  store: Store,
  tenantId: string,
  kind: ObjectKind,
  page: PageRequest,
  condition?: ViewCondition,
): Promise<ViewPage> {
  if (condition === undefined) {
    const { objects, next } = await store.pageObjects(tenantId, kind, page);
    return { views: objects.map((object) => publicView(object.id, object.data)), next };
  }
  const views: View[] = [];
  let after = page.after;
  for (let scanned = 0; ; scanned += SCAN) {
    if (scanned >= MAX_SCANNED) return { views, next: after };
    if (scanned > 0) await nextTurn();
    const read = await store.pageObjects(tenantId, kind, { after, limit: SCAN });
    for (const [i, object] of read.objects.entries()) {
      const view = publicView(object.id, object.data);
      if (!condition(view)) continue;
      views.push(view);
      if (views.length === page.limit) {
        const more = i < read.objects.length - 1 || read.next !== undefined;
        return { views, next: more ? read.positions[i] : undefined };
      }
    }
    if (read.next === undefined) return { views, next: undefined };
    after = read.next;
  }
}
