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

export function createByteCache(options: { maxBytes: number }): ByteCache {
  const { maxBytes } = options;
  if (!Number.isInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
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
      while (bytes + value.byteLength > maxBytes) evict(Math.floor(Math.random() * keys.length));
      slots.set(etag, keys.length);
      keys.push(etag);
      values.push(value);
      bytes += value.byteLength;
    },
    stats: () => ({ entries: keys.length, bytes, maxBytes }),
  };
}
