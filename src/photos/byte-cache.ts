/**
 * A bounded in-memory cache of photo bytes keyed by entity tag. A size's tag is a digest of its
 * bytes (`etagOf`), so the bytes under a tag never change: an entry is never stale, whichever
 * process wrote the photo, and nothing needs invalidating when a photo is replaced or deleted
 * (its old entries are simply no longer asked for). The caller asks the store for the current
 * tag first, so permissions and existence are always decided by the store, never by the cache.
 *
 * Bounded by the total byte length of the entries. When full, random entries are evicted: unlike
 * least-recently-used, random replacement keeps serving a share of hits when clients cycle
 * through more photos than fit (LRU then hits nothing), and a hit costs no bookkeeping.
 *
 * Once full, a new entry is let in only at one miss in `admitWhenFull` on average (a coin, so
 * that no counts are kept): what is asked for often gets in after a few misses, while a pass
 * over more photos than fit (a directory listing, an org chart, a people picker scrolled to the
 * end) no longer pushes out what the cache holds for a moment's use. Such a pass then hits on
 * nearly the share of its photos that fit, where replacing on every miss hit on much less
 * (BENCHMARKS.md). Until the cache is full, every entry is let in.
 */

export interface ByteCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

export interface ByteCache {
  get(etag: string): Uint8Array | undefined;
  /** Keeps `bytes` (not a copy: callers must never modify them). Larger than the bound: ignored. */
  set(etag: string, bytes: Uint8Array): void;
  stats(): ByteCacheStats;
}

export interface ByteCacheOptions {
  maxBytes: number;
  /** Once full, one miss in this many (on average) lets its entry in; 1 lets every miss in. */
  admitWhenFull?: number;
  /** A number in [0, 1); `Math.random` unless a test needs the draws repeatable. */
  random?: () => number;
}

/** Once full, one miss in eight lets its entry in (BENCHMARKS.md, "The byte cache when full"). */
export const ADMIT_WHEN_FULL = 8;

export function createByteCache(options: ByteCacheOptions): ByteCache {
  const { maxBytes, admitWhenFull = ADMIT_WHEN_FULL, random = Math.random } = options;
  if (!Number.isInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  if (!Number.isInteger(admitWhenFull) || admitWhenFull < 1) {
    throw new RangeError(`admitWhenFull must be a positive integer, got ${admitWhenFull}`);
  }
  const admitShare = 1 / admitWhenFull;
  // Parallel arrays plus an index, so that a random entry is found and removed in O(1).
  const slots = new Map<string, number>();
  const keys: string[] = [];
  const values: Uint8Array[] = [];
  let bytes = 0;

  const evict = (slot: number) => {
    const last = keys.length - 1;
    bytes -= (values[slot] as Uint8Array).byteLength;
    slots.delete(keys[slot] as string);
    if (slot !== last) {
      keys[slot] = keys[last] as string;
      values[slot] = values[last] as Uint8Array;
      slots.set(keys[slot] as string, slot);
    }
    keys.pop();
    values.pop();
  };

  return {
    get(etag) {
      const slot = slots.get(etag);
      return slot === undefined ? undefined : values[slot];
    },
    set(etag, value) {
      if (value.byteLength > maxBytes || slots.has(etag)) return;
      const full = bytes + value.byteLength > maxBytes;
      if (full && random() >= admitShare) return;
      while (bytes + value.byteLength > maxBytes) evict(Math.floor(random() * keys.length));
      slots.set(etag, keys.length);
      keys.push(etag);
      values.push(value);
      bytes += value.byteLength;
    },
    stats: () => ({ entries: keys.length, bytes, maxBytes }),
  };
}
