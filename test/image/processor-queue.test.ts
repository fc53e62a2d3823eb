/** The processor's own bound on work, with real images and real sharp. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isGraphError } from "../../src/errors.ts";
import { createImageProcessor } from "../../src/image/processor.ts";
import { sizesForShortSide } from "../../src/photos/sizes.ts";
import { graphError, sharedImage } from "./helpers.ts";

test("concurrency 1, queueLimit 1: of three simultaneous uploads exactly one is refused", async () => {
  const processor = createImageProcessor({
    maxInputPixels: 50_000_000,
    concurrency: 1,
    queueLimit: 1,
  });
  const photo = sharedImage("phone/jolla.jpg");
  assert.deepEqual(processor.stats(), { active: 0, queued: 0 });

  const jobs = [1, 2, 3].map(() => processor.process(photo, sizesForShortSide));
  assert.deepEqual(processor.stats(), { active: 1, queued: 1 });

  const outcomes = await Promise.allSettled(jobs);
  const refused = outcomes.filter((o) => o.status === "rejected");
  const done = outcomes.filter((o) => o.status === "fulfilled");
  assert.equal(refused.length, 1);
  assert.equal(done.length, 2);
  const [refusal] = refused;
  assert.ok(refusal && graphError("serviceNotAvailable", /busy/)(refusal.reason));
  assert.ok(isGraphError(refusal.reason));
  assert.equal(refusal.reason.status, 503);
  assert.equal(refusal.reason.retryAfter, 1);
  for (const outcome of done) {
    if (outcome.status === "fulfilled") assert.equal(outcome.value.length, 9);
  }
  assert.deepEqual(processor.stats(), { active: 0, queued: 0 });
});

test("stats follow the queue as jobs finish", async () => {
  const processor = createImageProcessor({
    maxInputPixels: 50_000_000,
    concurrency: 1,
    queueLimit: 2,
  });
  const photo = sharedImage("phone/Reconyx_HC500_Hyperfire.jpg");
  const first = processor.process(photo, sizesForShortSide);
  const second = processor.process(photo, sizesForShortSide);
  const third = processor.process(photo, sizesForShortSide);
  assert.deepEqual(processor.stats(), { active: 1, queued: 2 });
  await first;
  assert.deepEqual(processor.stats(), { active: 1, queued: 1 });
  await second;
  assert.deepEqual(processor.stats(), { active: 1, queued: 0 });
  await third;
  assert.deepEqual(processor.stats(), { active: 0, queued: 0 });
});

test("a failed image frees its slot, and refused formats never take one", async () => {
  const processor = createImageProcessor({
    maxInputPixels: 50_000_000,
    concurrency: 1,
    queueLimit: 0,
  });
  await assert.rejects(
    processor.process(sharedImage("broken/corrupted.jpg"), sizesForShortSide),
    graphError("InvalidImage"),
  );
  assert.deepEqual(processor.stats(), { active: 0, queued: 0 });

  const running = processor.process(sharedImage("gps/DSCN0021.jpg"), sizesForShortSide);
  // The slot is taken, yet a HEIC is still answered with 415 rather than "busy".
  await assert.rejects(
    processor.process(sharedImage("other/IMG_5195.HEIC"), sizesForShortSide),
    graphError("UnsupportedMediaType"),
  );
  await assert.rejects(
    processor.process(sharedImage("gps/DSCN0042.jpg"), sizesForShortSide),
    graphError("serviceNotAvailable"),
  );
  assert.equal((await running).length, 7);
});
