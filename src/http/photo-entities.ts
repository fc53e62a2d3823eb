/**
 * The JSON of Graph's `profilePhoto` entity and its collection, as the photo routes and the read
 * fast path (`fast-read.ts`) both send it.
 */
import { sizeId } from "../photos/sizes.ts";
import type { SizeInfo } from "../photos/store.ts";
import { quoteEtag } from "./conditional.ts";
import { applySelect } from "./odata.ts";

export const PHOTO_PROPERTIES = ["id", "width", "height"] as const;
export const PHOTO_TYPE = "microsoft.graph.profilePhoto";

/** `GET .../photo` and `.../photos/{size}`: `context` is the `@odata.context` URL. */
export function photoEntity(
  context: string,
  size: SizeInfo,
  select?: readonly string[],
): Record<string, unknown> {
  return applySelect({ "@odata.context": context, ...sizeEntity(size) }, select);
}

/** `GET .../photos`: every size, smallest first. */
export function photoCollection(
  context: string,
  sizes: readonly SizeInfo[],
  select?: readonly string[],
): Record<string, unknown> {
  return {
    "@odata.context": context,
    value: sizes.map((info) => applySelect(sizeEntity(info), select)),
  };
}

function sizeEntity(size: SizeInfo) {
  return {
    "@odata.mediaContentType": "image/jpeg",
    "@odata.mediaEtag": quoteEtag(size.etag),
    id: sizeId(size.edge),
    width: size.edge,
    height: size.edge,
  };
}
