/**
 * Process-wide sharp/libvips settings for the upload pipeline. They are global to libvips, so
 * they are applied once, when the first image processor is created.
 */
import sharp from "sharp";

let configured = false;

/** The libvips loaders that may run on user bytes: those of the four accepted formats. */
const ALLOWED_LOADERS = [
  "VipsForeignLoadJpeg",
  "VipsForeignLoadPng",
  "VipsForeignLoadWebp",
  // libvips's GIF loader (libnsgif).
  "VipsForeignLoadNsgif",
];

export function configureSharp(): void {
  if (configured) return;
  configured = true;

  // One libvips worker thread per operation. Portrait targets small (2-core) machines and gets
  // its parallelism elsewhere: up to `concurrency` uploads are processed at once and the sizes
  // of one upload are encoded in parallel, each on its own libuv thread. More libvips threads
  // per operation would only oversubscribe two cores, and with glibc's allocator they also
  // fragment memory (sharp itself defaults to 1 there for that reason).
  sharp.concurrency(1);

  // No operation cache: every upload is new bytes, so cached operations are never reused and
  // would only hold on to memory (up to 50 MB by default) after each upload.
  sharp.cache(false);

  // Defence in depth: the format is checked from the magic bytes before sharp is called, but
  // libvips picks its loader by its own sniffing. Blocking every loader except the four
  // accepted ones guarantees that no other decoder (TIFF, HEIF, SVG, PDF, ...) ever parses
  // user bytes. Blocked loaders are skipped, so an Ultra HDR JPEG is read by the plain JPEG
  // loader (its gain map is ignored). Creating images and raw pixel input need no loader.
  sharp.block({ operation: ["VipsForeignLoad"] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
}
