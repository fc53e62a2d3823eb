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

const SUPPORTED_OPTIONS = new Set(["$select"]);

/**
 * Reads `$select` and refuses query options Portrait does not support, as Graph refuses
 * unknown ones. Returns the selected property names, or undefined for all.
 */
export function readSelect(
  request: FastifyRequest,
  known: readonly string[],
  typeName: string,
): string[] | undefined {
  const query = request.query as Record<string, unknown>;
  for (const name of Object.keys(query)) {
    if (name.startsWith("$") && !SUPPORTED_OPTIONS.has(name.toLowerCase())) {
      throw new GraphError("BadRequest", `Query option '${name}' is not supported here.`);
    }
  }
  const raw = Object.entries(query).find(([name]) => name.toLowerCase() === "$select")?.[1];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new GraphError("BadRequest", "Invalid $select: expected a comma-separated list.");
  }
  const names = raw.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!known.some((property) => property.toLowerCase() === name.toLowerCase())) {
      throw new GraphError(
        "BadRequest",
        `Could not find a property named '${name}' on type '${typeName}'.`,
      );
    }
  }
  return names.map((name) => known.find((p) => p.toLowerCase() === name.toLowerCase()) ?? name);
}

/** Keeps the `@odata.*` annotations and the selected properties. */
export function applySelect(
  entity: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (select === undefined) return entity;
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (name.startsWith("@odata.") || select.includes(name)) result[name] = value;
  }
  return result;
}
