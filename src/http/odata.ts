/** OData details of Graph responses: context URLs, `$select`, and query option checks. */
import type { FastifyRequest } from "fastify";
import { GraphError } from "../errors.ts";

export type ApiVersion = "v1.0" | "beta";

/** `https://host/v1.0/$metadata#<fragment>` */
export function contextUrl(publicUrl: string, version: ApiVersion, fragment: string): string {
  return `${publicUrl}/${version}/$metadata#${fragment}`;
}

/** The API version of a request, from its first path segment. */
export function apiVersion(request: FastifyRequest): ApiVersion {
  return request.url.slice(1, 5).toLowerCase() === "beta" ? "beta" : "v1.0";
}

/** OData's system query options, which `/beta` also takes without their `$`. */
const SYSTEM_OPTIONS: ReadonlySet<string> = new Set([
  "apply",
  "compute",
  "count",
  "deltatoken",
  "expand",
  "filter",
  "format",
  "index",
  "levels",
  "orderby",
  "search",
  "select",
  "skip",
  "skiptoken",
  "top",
]);

/**
 * The query options of a request (names starting with `$`, lower-cased, as Graph reads them
 * case-insensitively). Under `/beta` the `$` is optional, as Graph's documentation says: there
 * `filter` is `$filter`. Other parameters are not options and are ignored. An option given
 * twice (`$top` and `top` included) answers 400.
 */
export function queryOptions(request: FastifyRequest): Map<string, string> {
  const options = new Map<string, string>();
  const beta = apiVersion(request) === "beta";
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    const option = lower.startsWith("$")
      ? lower
      : beta && SYSTEM_OPTIONS.has(lower)
        ? `$${lower}`
        : undefined;
    if (option === undefined) continue;
    if (typeof value !== "string" || options.has(option)) {
      throw new GraphError("BadRequest", `Query option '${option}' was given more than once.`);
    }
    options.set(option, value);
  }
  return options;
}

/**
 * Refuses options outside `allowed`, as Graph refuses unknown ones, and reads `$select`: the
 * selected property names as `known` spells them, or undefined for all.
 */
export function selectNames(
  options: ReadonlyMap<string, string>,
  allowed: readonly string[],
  known: readonly string[],
  typeName: string,
): string[] | undefined {
  for (const name of options.keys()) {
    if (!allowed.includes(name)) {
      throw new GraphError("BadRequest", `Query option '${name}' is not supported here.`);
    }
  }
  const raw = options.get("$select");
  if (raw === undefined) return undefined;
  if (raw.trim() === "") {
    throw new GraphError("BadRequest", "Invalid $select: expected a comma-separated list.");
  }
  return raw.split(",").map((name) => {
    const trimmed = name.trim();
    const property = known.find((p) => p.toLowerCase() === trimmed.toLowerCase());
    if (property === undefined) {
      throw new GraphError(
        "BadRequest",
        `Could not find a property named '${trimmed}' on type '${typeName}'.`,
      );
    }
    return property;
  });
}

/** The options of a request for one object or for photo metadata: `$select` alone. */
export const SELECT_ONLY = ["$select"] as const;

/** `$select` of a photo metadata request; every other query option answers 400. */
export function readSelect(
  request: FastifyRequest,
  known: readonly string[],
  typeName: string,
): string[] | undefined {
  return selectNames(queryOptions(request), SELECT_ONLY, known, typeName);
}

/**
 * Keeps the `@odata.*` annotations and the selected properties, in the order selected; as in
 * Graph, a selected property that is not set reads as null, or as its value in `unset`.
 */
export function applySelect(
  entity: Record<string, unknown>,
  select: readonly string[] | undefined,
  unset: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  if (select === undefined) return entity;
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (name.startsWith("@odata.")) result[name] = value;
  }
  for (const name of select) result[name] = entity[name] ?? unset[name] ?? null;
  return result;
}
