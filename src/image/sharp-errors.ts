/**
 * Turns whatever sharp or libvips throws while reading user bytes into a 4xx `GraphError`.
 * Client input must never produce a 5xx, so an unknown decoder failure is `InvalidImage`;
 * the original error is kept as `cause` for the log only.
 */
import { GraphError, isGraphError } from "../errors.ts";

const PIXEL_LIMIT = /exceeds pixel limit/i;

export function toImageError(error: unknown): GraphError {
  if (isGraphError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (PIXEL_LIMIT.test(message)) {
    return new GraphError("ImageDimensionsTooLarge", undefined, { cause: error });
  }
  return new GraphError(
    "InvalidImage",
    "The image could not be decoded: it is truncated or corrupt.",
    { cause: error },
  );
}
