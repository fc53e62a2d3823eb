/**
 * Bounded concurrency with a bounded FIFO queue. At most `concurrency` tasks run at once, up to
 * `queueLimit` more wait in arrival order, and anything beyond that is refused at once with
 * 503 `serviceNotAvailable` so that an overloaded server sheds work instead of piling it up.
 */
import { GraphError } from "../errors.ts";

export interface LimiterOptions {
  concurrency: number;
  queueLimit: number;
}

export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Throws the refusal `run` would give a task arriving now, so callers can refuse early. */
  refuseIfFull(): void;
  stats(): { active: number; queued: number };
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { concurrency, queueLimit } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  if (!Number.isInteger(queueLimit) || queueLimit < 0) {
    throw new RangeError(`queueLimit must be a non-negative integer, got ${queueLimit}`);
  }

  let active = 0;
  const waiting: Array<() => void> = [];

  /** Hands a finished task's slot to the next waiter, or frees it. */
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  const full = (): boolean => active >= concurrency && waiting.length >= queueLimit;

  const acquire = (): Promise<void> => {
    if (active < concurrency) {
      active++;
      return Promise.resolve();
    }
    if (full()) return Promise.reject(busy());
    // The slot passes directly from the releasing task, so `active` is unchanged.
    return new Promise<void>((resolve) => waiting.push(resolve));
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
    refuseIfFull() {
      if (full()) throw busy();
    },
    stats: () => ({ active, queued: waiting.length }),
  };
}

function busy(): GraphError {
  return new GraphError(
    "serviceNotAvailable",
    "The image processor is busy. Retry the upload in a moment.",
    { retryAfter: 1 },
  );
}
