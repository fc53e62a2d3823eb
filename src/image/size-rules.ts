/**
 * Which square sizes an upright image yields, and the "too small" errors when it yields none.
 */
import { GraphError } from "../errors.ts";

/** Graph's smallest photo size; the messages name it. */
const MINIMUM_EDGE = 48;

/**
 * The edges to produce for an upright `width` x `height` image, ascending and distinct.
 * Throws `ValidationWidthTooSmall` (width is the shorter side, or equal) or
 * `ValidationHeightTooSmall` when `edgesFor` gives none.
 */
export function chooseEdges(
  width: number,
  height: number,
  edgesFor: (shortSide: number) => readonly number[],
): number[] {
  const shortSide = Math.min(width, height);
  const edges = [...new Set(edgesFor(shortSide))].sort((a, b) => a - b);
  for (const edge of edges) {
    // A wrong size list is a programming error, not bad input: no upscaling, no odd values.
    if (!Number.isInteger(edge) || edge < 1 || edge > shortSide) {
      throw new RangeError(`edgesFor(${shortSide}) returned an impossible edge: ${edge}`);
    }
  }
  if (edges.length > 0) return edges;
  if (width <= height) {
    throw new GraphError(
      "ValidationWidthTooSmall",
      `The image is ${width}x${height} pixels; its width must be at least ${MINIMUM_EDGE} pixels.`,
    );
  }
  throw new GraphError(
    "ValidationHeightTooSmall",
    `The image is ${width}x${height} pixels; its height must be at least ${MINIMUM_EDGE} pixels.`,
  );
}
