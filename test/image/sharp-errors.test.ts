import assert from "node:assert/strict";
import { test } from "node:test";
import sharp from "sharp";
import { GraphError } from "../../src/errors.ts";
import { toImageError } from "../../src/image/sharp-errors.ts";

async function sharpError(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail("sharp was expected to fail");
}

test("sharp's limitInputPixels error (the second guard) becomes ImageDimensionsTooLarge", async () => {
  const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: "#000" } })
    .png()
    .toBuffer();
  const error = await sharpError(() =>
    sharp(png, { limitInputPixels: 99 * 100 })
      .raw()
      .toBuffer(),
  );
  const mapped = toImageError(error);
  assert.equal(mapped.code, "ImageDimensionsTooLarge");
  assert.equal(mapped.status, 400);
  assert.equal(mapped.cause, error, "the original is kept for the log");
});

test("any other libvips failure becomes 400 InvalidImage without internals in the message", async () => {
  const error = await sharpError(() => sharp(Buffer.from("not an image")).metadata());
  const mapped = toImageError(error);
  assert.equal(mapped.code, "InvalidImage");
  assert.equal(mapped.status, 400);
  assert.doesNotMatch(mapped.message, /vips|sharp|buffer/i);
  assert.equal(mapped.cause, error);
});

test("a GraphError passes through unchanged; non-Error values are still mapped", () => {
  const original = new GraphError("ValidationWidthTooSmall");
  assert.equal(toImageError(original), original);
  assert.equal(toImageError("a string").code, "InvalidImage");
});
