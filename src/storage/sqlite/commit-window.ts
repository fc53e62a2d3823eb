/**
 * Looks at other connections' commits at most once per window, and stays exact: every write
 * through a SQLite store waits one window after its commit before it is reported done
 * (`settled`). A read that reuses a look taken less than a window ago was asked after some
 * write's report only if that look came after the write's commit:
 *
 *   commit at c, reported at r >= c + window, read at t >= r, last look at l > t - window,
 *   so l > r - window >= c: the look saw the commit.
 *
 * Only lengths of time on each process's monotonic clock are compared, never one process's
 * time with another's. What this buys: the look is a system call (`commit-watch.ts`), and under
 * load one per request cost a fifth of a 48x48 GET (BENCHMARKS.md, "2026-12-04"); what it
 * costs: each write is reported a millisecond later. Writers that are not Portrait stores (the
 * `sqlite3` shell) do not wait, so their commits are seen within a window, not at once.
 */
import type { CommitWatch } from "./commit-watch.ts";

/** One millisecond: a look every millisecond at most, a write reported a millisecond late. */
const COMMIT_WINDOW_MS = 1;

export interface CommitWindow {
  /**
   * True when another connection may have committed since the last look; looks at most once
   * a window.
   */
  changed(): boolean;
  /** Resolves one window from now: a commit made before the call is then seen by every read. */
  settled(): Promise<void>;
}

export function commitWindow(
  watch: CommitWatch,
  windowMs: number = COMMIT_WINDOW_MS,
  now: () => number = () => performance.now(),
): CommitWindow {
  let lookedAt = Number.NEGATIVE_INFINITY;
  return {
    changed() {
      const time = now();
      if (time - lookedAt < windowMs) return false;
      // Taken before the look: the look sees at least every commit made before this time.
      lookedAt = time;
      return watch.changed();
    },
    settled() {
      const until = now() + windowMs;
      return new Promise((resolve) => {
        // Timers may fire early against the clock (libuv's loop time lags it): wait on the clock.
        const wait = () => {
          const left = until - now();
          if (left <= 0) resolve();
          else setTimeout(wait, Math.ceil(left));
        };
        wait();
      });
    },
  };
}
