/** Entity tags on the wire: the `ETag` header, `If-None-Match` and `If-Match`. */
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyRequest } from "fastify";
import type { Precondition } from "../photos/photo-service.ts";

/** The quoted form used in `ETag` and `@odata.mediaEtag`. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

function tagsOf(header: string): string[] {
  return header
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

/** True when `If-None-Match` names the current tag (weak comparison) or is `*`. */
export function notModified(headers: IncomingHttpHeaders, etag: string): boolean {
  const header = headers["if-none-match"];
  if (typeof header !== "string") return false;
  const quoted = quoteEtag(etag);
  return tagsOf(header).some((tag) => tag === "*" || tag.replace(/^W\//, "") === quoted);
}

/** The `If-Match` precondition of a write (strong comparison), if any. */
export function readIfMatch(request: FastifyRequest): Precondition {
  const header = request.headers["if-match"];
  if (typeof header !== "string") return undefined;
  const tags = tagsOf(header);
  if (tags.includes("*")) return { exists: true };
  return {
    anyOf: tags.filter((tag) => !tag.startsWith("W/")).map((tag) => tag.replace(/^"(.*)"$/, "$1")),
  };
}
