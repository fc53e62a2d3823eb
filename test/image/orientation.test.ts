/**
 * The shared orientation set: one scene stored with each EXIF orientation 1..8 (2, 4, 5 and 7
 * mirrored). Every output must be upright and unmirrored, so all eight of a kind look the same.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import sharp from "sharp";
import { createImageProcessor } from "../../src/image/processor.ts";
import { meanAbsDiff, rgbPixels, sharedImage } from "./helpers.ts";

const processor = createImageProcessor({
  maxInputPixels: 50_000_000,
  concurrency: 2,
  queueLimit: 16,
});
const SMALL = (shortSide: number) => [48, 64].filter((edge) => edge <= shortSide);

/** Measured: the same scene differs by < 8 (JPEG noise); a wrong turn or mirror by > 23. */
const SAME = 10;
const DIFFERENT = 20;

async function smallest(name: string): Promise<Buffer> {
  const [first] = await processor.process(sharedImage(`orientation/${name}.jpg`), SMALL);
  assert.ok(first);
  assert.equal(first.edge, 48);
  return first.bytes;
}

for (const kind of ["landscape", "portrait"] as const) {
  describe(`${kind}_1..8`, () => {
    test("the inputs really carry orientations 1..8", async () => {
      for (let n = 1; n <= 8; n++) {
        const meta = await sharp(sharedImage(`orientation/${kind}_${n}.jpg`)).metadata();
        assert.equal(meta.orientation, n);
      }
    });

    test("all eight outputs look like orientation 1", async () => {
      const reference = await rgbPixels(await smallest(`${kind}_1`));
      for (let n = 2; n <= 8; n++) {
        const pixels = await rgbPixels(await smallest(`${kind}_${n}`));
        const diff = meanAbsDiff(reference, pixels);
        assert.ok(diff < SAME, `${kind}_${n} differs from ${kind}_1 by ${diff.toFixed(2)}`);
      }
    });

    test("the comparison has teeth: mirrored or turned versions differ clearly", async () => {
      const upright = await smallest(`${kind}_1`);
      const reference = await rgbPixels(upright);
      const wrong: Record<string, Buffer> = {
        mirrored: await sharp(upright).flop().raw().toBuffer(),
        flipped: await sharp(upright).flip().raw().toBuffer(),
        "turned 90": await sharp(upright).rotate(90).raw().toBuffer(),
        "turned 180": await sharp(upright).rotate(180).raw().toBuffer(),
        "turned 270": await sharp(upright).rotate(270).raw().toBuffer(),
        transposed: await sharp(upright).rotate(90).flop().raw().toBuffer(),
      };
      for (const [name, pixels] of Object.entries(wrong)) {
        const diff = meanAbsDiff(reference, pixels);
        assert.ok(diff > DIFFERENT, `${name} differs by only ${diff.toFixed(2)}`);
      }
      // And ignoring the tag (as a pipeline without auto-orientation would) is caught too.
      const unrotated = await sharp(sharedImage(`orientation/${kind}_6.jpg`), { autoOrient: false })
        .resize(48, 48)
        .raw()
        .toBuffer();
      assert.ok(meanAbsDiff(reference, unrotated) > DIFFERENT);
    });
  });
}
