/**
 * The photo domain: an upload replaces the whole photo (every size, atomically); reads pick
 * a size or the largest; a missing photo or size is `ImageNotFound`.
 */
import { createHash } from "node:crypto";
import { GraphError } from "../errors.ts";
import type { ByteCache, ByteCacheStats } from "./byte-cache.ts";
import type { PhotoOwner } from "./photo-owner.ts";
import { sizesForShortSide } from "./sizes.ts";
import {
  type PhotoCondition,
  type PhotoWrite,
  photoConditionHolds,
  type SizeInfo,
  type Store,
  type StoredSize,
} from "./store.ts";

/** The image work the domain needs: square JPEGs of the edges it asks for. */
export interface ImageNormalizer {
  process(
    bytes: Uint8Array,
    edgesFor: (shortSide: number) => readonly number[],
  ): Promise<{ edge: number; bytes: Uint8Array }[]>;
  /** Throws when an image arriving now would be refused (all workers busy, queue full). */
  refuseIfFull(): void;
}

/** An `If-Match` precondition: the entity tags the client accepts, or `*` for any photo. */
export type Precondition = PhotoCondition | undefined;

/** The byte cache's contents, and how the answers of `content` were served. */
export interface PhotoCacheStats extends ByteCacheStats {
  /** Answers whose bytes the cache held. */
  hits: number;
  /** Answers whose bytes were read from the store while the cache was on. */
  misses: number;
}

export function photoNotFound(): GraphError {
  return new GraphError("ImageNotFound", "The photo wasn't found.");
}

/** Strong entity tag of a size: a digest of its bytes, so equal bytes have equal tags. */
export function etagOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64url").slice(0, 27);
}

export function createPhotoService(deps: {
  store: Store;
  images: ImageNormalizer;
  /** Bytes of sizes recently read, by entity tag; none when absent. */
  cache?: ByteCache;
}) {
  const { store, images, cache } = deps;
  let cacheHits = 0;
  let cacheMisses = 0;

  const modified = () =>
    new GraphError(
      "resourceModified",
      "The photo has changed since it was read (If-Match did not match).",
    );

  /** Refuses early, before any image work, a write whose precondition already fails. */
  const checkPrecondition = async (owner: PhotoOwner, precondition: Precondition) => {
    if (precondition === undefined) return;
    const current = await store.listPhotoSizes(owner.tenantId, owner.id);
    if (!photoConditionHolds(precondition, current)) throw modified();
  };

  /** The outcome of a store write: the store checked the precondition again, atomically. */
  const settle = (outcome: PhotoWrite) => {
    if (outcome === "unmatched") throw modified();
    if (outcome === "missing") throw photoNotFound();
  };

  /** Every available size, smallest first; `ImageNotFound` when there is no photo. */
  const sizes = async (owner: PhotoOwner): Promise<readonly SizeInfo[]> => {
    const found = owner.prefetchedSizes ?? (await store.listPhotoSizes(owner.tenantId, owner.id));
    if (found.length === 0) throw photoNotFound();
    return found;
  };

  /** One size's metadata (the given edge, or the largest), undefined when there is none. */
  const findSize = async (owner: PhotoOwner, edge?: number): Promise<SizeInfo | undefined> => {
    if (owner.prefetched && owner.prefetched.edge === edge) return owner.prefetched.size;
    const kind = owner.kind === "team" ? "group" : owner.kind;
    return (await store.getPhotoSizeInfo(owner.tenantId, kind, owner.id, edge))?.size;
  };

  /** The size's bytes from the cache, when it holds them. */
  const cached = (info: SizeInfo): StoredSize | undefined => {
    const bytes = cache?.get(info.etag);
    return bytes && { edge: info.edge, etag: info.etag, bytes };
  };

  /** One size's metadata: the given edge, or the largest available. */
  const size = async (owner: PhotoOwner, edge?: number): Promise<SizeInfo> => {
    const found = await findSize(owner, edge);
    if (!found) throw photoNotFound();
    return found;
  };

  return {
    sizes,
    size,

    /**
     * Refuses an upload before its body is read when the image work could not take it now:
     * a saturated server answers at once instead of receiving megabytes it would refuse.
     * `upload` still decides for the uploads this lets through.
     */
    admitUpload(): void {
      images.refuseIfFull();
    },

    /** Validates and normalises the upload, then replaces every size of the photo at once. */
    async upload(owner: PhotoOwner, body: Uint8Array, precondition?: Precondition): Promise<void> {
      await checkPrecondition(owner, precondition);
      const squares = await images.process(body, sizesForShortSide);
      const stored: StoredSize[] = squares.map((square) => ({
        edge: square.edge,
        bytes: square.bytes,
        etag: etagOf(square.bytes),
      }));
      settle(await store.replacePhoto(owner.tenantId, owner.id, stored, precondition));
    },

    /**
     * One size's bytes: the given edge, or the largest available. With a cache, the store is
     * asked for the size's current tag and the bytes come from the cache when it holds that
     * tag; otherwise they are read in one step (so a concurrent replacement cannot mix versions)
     * and kept under their own tag.
     */
    async content(owner: PhotoOwner, edge?: number): Promise<StoredSize> {
      if (cache) {
        const hit = cached(await size(owner, edge));
        if (hit) {
          cacheHits++;
          return hit;
        }
        cacheMisses++;
      }
      const found = await store.getPhotoSize(owner.tenantId, owner.id, edge);
      if (!found) throw photoNotFound();
      cache?.set(found.etag, found.bytes);
      return found;
    },

    /**
     * `content(owner, edge)` without a promise, when it needs no store read: the owner was
     * resolved with this size's metadata (`prefetched`) and the cache holds its bytes.
     * Undefined otherwise (the caller then asks `content`, which counts the miss).
     */
    cachedContent(owner: PhotoOwner, edge?: number): StoredSize | undefined {
      const prefetched = owner.prefetched;
      const hit =
        prefetched && prefetched.edge === edge && prefetched.size
          ? cached(prefetched.size)
          : undefined;
      if (hit) cacheHits++;
      return hit;
    },

    /** The byte cache's figures; undefined without a cache. */
    cacheStats(): PhotoCacheStats | undefined {
      return cache && { ...cache.stats(), hits: cacheHits, misses: cacheMisses };
    },

    async remove(owner: PhotoOwner, precondition?: Precondition): Promise<void> {
      settle(await store.deletePhoto(owner.tenantId, owner.id, precondition));
    },
  };
}

export type PhotoService = ReturnType<typeof createPhotoService>;
