/**
 * The bare sharp pipeline, run as its own process: the nine square JPEGs of an image with sharp
 * alone, written the direct way (one decode with shrink-on-load to the largest square, upright
 * and sRGB, then every size encoded from it in parallel, with the JPEG settings Portrait uses),
 * and nothing else: no HTTP, no validation, no hashing, no database. Prints one JSON line
 * (`BareResult`): per-image times of sequential runs, then images per second with `--parallel`
 * pipelines at once for `--seconds`.
 *
 *   node --import tsx bench/lib/bare-pipeline.ts --image FILE [--count 20] [--warmup 3]
 *        [--parallel 2] [--seconds 20] [--vips-threads N]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { PHOTO_SIZES } from "../../src/photos/sizes.ts";

export interface BareResult {
  /** Wall time of each sequential image, milliseconds. */
  sequentialMs: number[];
  /** Images per second with `parallel` pipelines running at once. */
  perSecond: number;
  parallel: number;
  /** CPU time (user + system) of this process per image in the parallel phase, ms. */
  cpuMsPerImage: number;
  vipsThreads: number;
  uvThreadpoolSize: string;
  /** Byte lengths of the nine sizes, smallest first (to compare with Portrait's). */
  lengths: number[];
}

/** The JPEG settings of `src/image/sharp-pipeline.ts`, so both produce the same files. */
const JPEG = { quality: 86, progressive: false, chromaSubsampling: "4:4:4", optimiseCoding: true };

const { values } = parseArgs({
  options: {
    image: { type: "string" },
    count: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    parallel: { type: "string", default: "2" },
    seconds: { type: "string", default: "20" },
    "vips-threads": { type: "string", default: "" },
  },
});
if (!values.image) {
  console.error("usage: bare-pipeline.ts --image FILE [--count N] [--parallel N] [--seconds S]");
  process.exit(2);
}
if (values["vips-threads"]) sharp.concurrency(Number(values["vips-threads"]));
sharp.cache(false);
const input = readFileSync(values.image);

async function nineSizes(bytes: Buffer): Promise<Buffer[]> {
  const meta = await sharp(bytes).metadata();
  const shortSide = Math.min(meta.autoOrient.width, meta.autoOrient.height);
  const edges = PHOTO_SIZES.filter((edge) => edge <= shortSide);
  const largest = edges[edges.length - 1] as number;
  const { data } = await sharp(bytes, { failOn: "warning", autoOrient: true, pages: 1 })
    .resize(largest, largest, { fit: "cover", position: "centre" })
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: largest, height: largest, channels: 3 as const } };
  return Promise.all(
    edges.map((edge) => {
      const square = sharp(data, raw);
      return (edge === largest ? square : square.resize(edge, edge, { kernel: "lanczos3" }))
        .jpeg(JPEG)
        .toBuffer();
    }),
  );
}

for (let i = 0; i < Number(values.warmup); i++) await nineSizes(input);
const sequentialMs: number[] = [];
let lengths: number[] = [];
for (let i = 0; i < Number(values.count); i++) {
  const started = performance.now();
  const sizes = await nineSizes(input);
  sequentialMs.push(performance.now() - started);
  lengths = sizes.map((size) => size.length);
}

const parallel = Number(values.parallel);
const deadline = performance.now() + Number(values.seconds) * 1000;
let done = 0;
const cpu = process.cpuUsage();
const began = performance.now();
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (performance.now() < deadline) {
      await nineSizes(input);
      done++;
    }
  }),
);
const elapsed = (performance.now() - began) / 1000;
const spent = process.cpuUsage(cpu);

const result: BareResult = {
  sequentialMs,
  perSecond: done / elapsed,
  parallel,
  cpuMsPerImage: (spent.user + spent.system) / 1000 / Math.max(1, done),
  vipsThreads: sharp.concurrency(),
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? "4 (default)",
  lengths,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
