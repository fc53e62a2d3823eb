/**
 * A bounded cache of the SQLite store's small reads: what a photo GET asks on every request
 * (the owner's row, which sizes, which entity tags), answered from memory. Photo bytes are not
 * kept here (the photo service keeps recently read bytes by entity tag).
 *
 * Every SQLite read runs in its own read transaction, and starting one costs file-lock system
 * calls: about three quarters of a cached lookup's time (bench/lookup.ts). Here answers are kept
 * by key and thrown away whenever the database may have changed:
 * - this store's own writes clear the cache (`clear`, called after every write);
 * - writes by other connections (other processes on the same file, `portrait seed`) are seen
 *   through SQLite's `PRAGMA data_version`, which changes whenever another connection commits.
 *   It is asked again once `checkEveryMs` has passed since it was last asked, so under load one
 *   check serves many requests; an idle server asks on every request.
 *
 * What that means: within this process every read sees every write before it, exactly as
 * without the cache. A commit by another process is seen at most `checkEveryMs` later.
 */

export interface ReadCacheOptions {
  /** Entries kept at most; the oldest is dropped for a new one. */
  maxEntries: number;
  /** How long an answer of "nothing changed elsewhere" is trusted, milliseconds. */
  checkEveryMs: number;
  /** SQLite's `data_version` of the connection: changes when another connection commits. */
  dataVersion: () => number;
  /** Milliseconds from a monotonic clock; tests pass their own. */
  now?: () => number;
}

export interface ReadCache {
  /** The cached answer for `key`, else `load()`'s, which is then kept. */
  get<T>(key: string, load: () => T): T;
  /** Forgets every answer: the database changed. */
  clear(): void;
  /** Answers kept. */
  size(): number;
}

export function createReadCache(options: ReadCacheOptions): ReadCache {
  const { maxEntries, checkEveryMs, dataVersion } = options;
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, unknown>();
  let version = Number.NaN;
  let checkedAt = Number.NEGATIVE_INFINITY;

  /** Clears the cache when another connection may have committed since the last look. */
  const revalidate = (): void => {
    const at = now();
    if (at - checkedAt < checkEveryMs) return;
    const current = dataVersion();
    if (current !== version) {
      entries.clear();
      version = current;
    }
    checkedAt = at;
  };

  return {
    get<T>(key: string, load: () => T): T {
      if (maxEntries === 0) return load();
      revalidate();
      if (entries.has(key)) return entries.get(key) as T;
      const value = load();
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(key, value);
      return value;
    },
    clear() {
      entries.clear();
    },
    size: () => entries.size,
  };
}
