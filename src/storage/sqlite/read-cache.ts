/**
 * A bounded cache of the SQLite store's small reads: what a photo GET asks on every request
 * (the owner's row, which sizes, which entity tags), answered from memory. Photo bytes are not
 * kept here (the photo service keeps recently read bytes by entity tag).
 *
 * Every SQLite read runs in its own read transaction, and starting one costs file-lock system
 * calls: most of a cached lookup's time (bench/lookup.ts). Here answers are kept by key and
 * thrown away whenever the database may have changed:
 * - this store's own writes clear the cache (`clear`, called after every write);
 * - before every read, `changed` tells whether another connection (another process on the same
 *   file, `portrait seed`) may have committed since it was last asked (commit-window.ts: it
 *   looks at most once a millisecond, and every write waits that long before it is reported).
 *
 * So every read sees every write acknowledged before it, in this process or any other, exactly
 * as without the cache.
 */

export interface ReadCacheOptions {
  /** Entries kept at most; the oldest is dropped for a new one. 0 turns the cache off. */
  maxEntries: number;
  /** True when another connection may have committed since it was last asked. */
  changed: () => boolean;
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
  const { maxEntries, changed } = options;
  const entries = new Map<string, unknown>();

  return {
    get<T>(key: string, load: () => T): T {
      if (maxEntries === 0) return load();
      if (changed()) entries.clear();
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
