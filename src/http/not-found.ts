/** Unknown URLs: Graph answers 400 `BadRequest` naming the segment it could not resolve. */
import type { FastifyInstance } from "fastify";
import { GraphError } from "../errors.ts";

const VERSION = /^\/(v1\.0|beta)(\/|$|\?)/i;

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split("?")[0] ?? "/";
    if (!VERSION.test(path)) {
      const version = path.split("/")[1] ?? "";
      throw new GraphError("BadRequest", `Invalid version: ${version}`);
    }
    const last =
      path
        .split("/")
        .filter((segment) => segment !== "")
        .at(-1) ?? "";
    throw new GraphError("BadRequest", `Resource not found for the segment '${safe(last)}'.`);
  });
}

function safe(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Keep the raw segment when it is not valid percent-encoding.
  }
  return decoded.slice(0, 100);
}
