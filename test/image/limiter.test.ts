import assert from "node:assert/strict";
import { test } from "node:test";
import { createLimiter } from "../../src/image/limiter.ts";
import { graphError } from "./helpers.ts";

/** A task that finishes when `finish()` is called, recording when it started. */
function gate(started: string[], name: string) {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const task = async () => {
    started.push(name);
    await done;
    return name;
  };
  return { task, finish: () => finish() };
}

test("runs at most `concurrency` tasks and starts waiting ones in FIFO order", async () => {
  const limiter = createLimiter({ concurrency: 2, queueLimit: 3 });
  const started: string[] = [];
  const gates = ["a", "b", "c", "d", "e"].map((name) => gate(started, name));
  const results = gates.map((g) => limiter.run(g.task));
  await Promise.resolve();
  assert.deepEqual(started, ["a", "b"]);
  assert.deepEqual(limiter.stats(), { active: 2, queued: 3 });

  gates[1]?.finish();
  assert.equal(await results[1], "b");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, ["a", "b", "c"], "the oldest waiter takes the freed slot");
  assert.deepEqual(limiter.stats(), { active: 2, queued: 2 });

  for (const g of gates) g.finish();
  assert.deepEqual(await Promise.all(results), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(started, ["a", "b", "c", "d", "e"]);
  assert.deepEqual(limiter.stats(), { active: 0, queued: 0 });
});

test("refuseIfFull throws exactly when run would refuse", async () => {
  const limiter = createLimiter({ concurrency: 1, queueLimit: 1 });
  const started: string[] = [];
  const first = gate(started, "first");
  const second = gate(started, "second");
  limiter.refuseIfFull();
  const running = limiter.run(first.task);
  limiter.refuseIfFull();
  const waiting = limiter.run(second.task);
  assert.throws(() => limiter.refuseIfFull(), graphError("serviceNotAvailable", /busy/));
  first.finish();
  await running;
  limiter.refuseIfFull();
  second.finish();
  await waiting;
  assert.deepEqual(limiter.stats(), { active: 0, queued: 0 });
});

test("refuses at once with 503 serviceNotAvailable and Retry-After 1 when the queue is full", async () => {
  const limiter = createLimiter({ concurrency: 1, queueLimit: 1 });
  const started: string[] = [];
  const first = gate(started, "first");
  const second = gate(started, "second");
  const third = gate(started, "third");
  const running = limiter.run(first.task);
  const waiting = limiter.run(second.task);
  await assert.rejects(
    limiter.run(third.task),
    (error: unknown) =>
      graphError("serviceNotAvailable", /busy/)(error) &&
      (error as { status: number; retryAfter: number }).status === 503 &&
      (error as { retryAfter: number }).retryAfter === 1,
  );
  assert.ok(!started.includes("third"), "the refused task never ran");
  first.finish();
  second.finish();
  assert.deepEqual(await Promise.all([running, waiting]), ["first", "second"]);
});

test("queueLimit 0 means no waiting at all", async () => {
  const limiter = createLimiter({ concurrency: 1, queueLimit: 0 });
  const g = gate([], "only");
  const running = limiter.run(g.task);
  await assert.rejects(
    limiter.run(async () => "x"),
    graphError("serviceNotAvailable"),
  );
  g.finish();
  assert.equal(await running, "only");
});

test("a failing task frees its slot", async () => {
  const limiter = createLimiter({ concurrency: 1, queueLimit: 0 });
  await assert.rejects(
    limiter.run(async () => {
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.deepEqual(limiter.stats(), { active: 0, queued: 0 });
  assert.equal(await limiter.run(async () => 42), 42);
});

test("nonsense limits are refused", () => {
  assert.throws(() => createLimiter({ concurrency: 0, queueLimit: 1 }), RangeError);
  assert.throws(() => createLimiter({ concurrency: 1.5, queueLimit: 1 }), RangeError);
  assert.throws(() => createLimiter({ concurrency: 1, queueLimit: -1 }), RangeError);
});
