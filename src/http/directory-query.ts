/**
 * OData query options on directory reads, as Graph answers them: `$select` on objects and
 * collections, and server-driven paging of collections. Users and groups come in pages of 100
 * (`$top` up to 999) continued by `$skiptoken`, as in Graph's directory; contacts and contact
 * folders in pages of 10 (`$top` up to 1000) continued by `$skip`, as in Outlook's part of
 * Graph. Each page but the last carries `@odata.nextLink`. Users and groups also take
 * `$filter` (`odata-filter.ts`). Other `$` options answer 400.
 *
 * A `$skiptoken` holds a position in creation order (the store's `ObjectPage.next`), so the
 * next page starts after the last object of the page before even when objects were deleted
 * meanwhile. `$skip` counts objects, as Outlook's does.
 */
import type { FastifyRequest } from "fastify";
import type { ViewCondition } from "../directory/paging.ts";
import type { UnkeptProperties } from "../directory/properties.ts";
import { GraphError } from "../errors.ts";
import { queryOptions, SELECT_ONLY, selectNames } from "./odata.ts";
import { parseFilter } from "./odata-filter.ts";

/** What `$select` may name on one type: the properties Portrait keeps for it. */
export interface DirectoryType {
  name: string;
  properties: readonly string[];
  /** Graph properties of the type that Portrait does not keep: selectable, never set. */
  unkept?: UnkeptProperties;
}

/** What `$select` may name on `type`: its properties and Graph's others. */
function selectable(type: DirectoryType): readonly string[] {
  return type.unkept ? [...type.properties, ...Object.keys(type.unkept)] : type.properties;
}

export interface PageQuery {
  select: string[] | undefined;
  top: number;
  /** The `$filter` as given, to carry into the next page's URL. */
  filter?: string | undefined;
}

const COLLECTION_ONLY = new Set(["$filter", "$orderby", "$count", "$skip", "$top"]);
const DIRECTORY_PAGE = {
  size: 100,
  max: 999,
  options: ["$select", "$top", "$skiptoken", "$filter"],
};
const OUTLOOK_PAGE = { size: 10, max: 1000, options: ["$select", "$top", "$skip"] };

/** `$select` of a request for one object; other options answer 400. */
export function readEntitySelect(
  request: FastifyRequest,
  type: DirectoryType,
): string[] | undefined {
  const options = queryOptions(request);
  for (const name of options.keys()) {
    if (COLLECTION_ONLY.has(name)) {
      throw new GraphError(
        "BadRequest",
        "Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.",
      );
    }
  }
  return selectNames(options, SELECT_ONLY, selectable(type), type.name);
}

/** A users or groups request: its page size and where it starts (a store position). */
export function readDirectoryPage(
  request: FastifyRequest,
  type: DirectoryType,
): PageQuery & { after: number | undefined; condition: ViewCondition | undefined } {
  const options = queryOptions(request);
  const select = selectNames(options, DIRECTORY_PAGE.options, selectable(type), type.name);
  const top = readTop(options.get("$top"), DIRECTORY_PAGE.max) ?? DIRECTORY_PAGE.size;
  const token = options.get("$skiptoken");
  const filter = options.get("$filter");
  return {
    select,
    top,
    filter,
    after: token === undefined ? undefined : readSkipToken(token),
    condition: filter === undefined ? undefined : parseFilter(filter, type),
  };
}

/** A contacts or folders request: its page size and how many objects it skips. */
export function readOutlookPage(
  request: FastifyRequest,
  type: DirectoryType,
): PageQuery & { skip: number } {
  const options = queryOptions(request);
  const select = selectNames(options, OUTLOOK_PAGE.options, type.properties, type.name);
  const top = readTop(options.get("$top"), OUTLOOK_PAGE.max) ?? OUTLOOK_PAGE.size;
  return { select, top, skip: readSkip(options.get("$skip")) };
}

/** The `$skiptoken` that continues a users or groups listing after store position `next`. */
export function skipToken(next: number): string {
  return Buffer.from(String(next)).toString("base64url");
}

/**
 * The URL of the next page: the request's path under `publicUrl`, the same `$top` and
 * `$select`, and `continuation` (`$skiptoken=...` or `$skip=...`).
 */
export function nextLink(
  request: FastifyRequest,
  publicUrl: string,
  query: PageQuery,
  continuation: string,
): string {
  const path = (request.url.split("?")[0] ?? "").replace(/\/+$/, "");
  const selected = query.select ? `&$select=${query.select.join(",")}` : "";
  const filtered = query.filter === undefined ? "" : `&$filter=${encodeURIComponent(query.filter)}`;
  return `${publicUrl}${path}?$top=${query.top}&${continuation}${selected}${filtered}`;
}

function readTop(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const top = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(top >= 1 && top <= max)) {
    throw new GraphError(
      "BadRequest",
      `Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`,
    );
  }
  return top;
}

function readSkip(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new GraphError("BadRequest", `Invalid $skip: '${raw}'. Expected a whole number.`);
  }
  return Number(raw);
}

function readSkipToken(token: string): number {
  const text = Buffer.from(token, "base64url").toString("latin1");
  if (!/^\d{1,15}$/.test(text) || skipToken(Number(text)) !== token) {
    throw new GraphError("BadRequest", "Invalid $skiptoken: use the @odata.nextLink of a page.");
  }
  return Number(text);
}
