/**
 * fast-check arbitraries for fuzzing uploads: mutations of real image files (bit flips, byte
 * overwrites, truncation, insertion, deletion, chunk duplication, and format-aware tweaks of
 * JPEG frame sizes, JPEG segment lengths and PNG chunks with their CRC recomputed, so that the
 * mutation reaches the decoder instead of failing a checksum), and random bytes, bare or behind
 * an image signature. Positions are taken modulo the input's length.
 */
import { crc32 } from "node:zlib";
import fc from "fast-check";

export type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "setHeader"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; from: number; length: number; to: number }
  | { kind: "jpegFrameSize"; field: "width" | "height"; value: number }
  | { kind: "jpegSegmentLength"; index: number; value: number }
  | { kind: "pngChunkByte"; index: number; at: number; value: number }
  | { kind: "pngHeader"; offset: number; value: number };

const position = fc.nat({ max: 1 << 22 });
const byte = fc.integer({ min: 0, max: 255 });
const interesting16 = fc.oneof(
  fc.constantFrom(0, 1, 2, 47, 48, 255, 256, 7071, 30_000, 0x7fff, 0x8000, 0xfffe, 0xffff),
  fc.integer({ min: 0, max: 0xffff }),
);
const interesting32 = fc.oneof(
  fc.constantFrom(0, 1, 47, 48, 7072, 30_000, 65_536, 0x7fffffff, 0x80000000, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip"), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set"), at: position, value: byte }),
  fc.record({ kind: fc.constant("setHeader"), at: fc.nat({ max: 63 }), value: byte }),
  fc.record({ kind: fc.constant("truncate"), at: position }),
  fc.record({
    kind: fc.constant("insert"),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant("delete"),
    at: position,
    length: fc.integer({ min: 1, max: 256 }),
  }),
  fc.record({
    kind: fc.constant("duplicate"),
    from: position,
    length: fc.integer({ min: 1, max: 512 }),
    to: position,
  }),
  fc.record({
    kind: fc.constant("jpegFrameSize"),
    field: fc.constantFrom("width", "height"),
    value: interesting16,
  }),
  fc.record({ kind: fc.constant("jpegSegmentLength"), index: fc.nat(), value: interesting16 }),
  fc.record({ kind: fc.constant("pngChunkByte"), index: fc.nat(), at: position, value: byte }),
  fc.record({
    kind: fc.constant("pngHeader"),
    // IHDR data: width, height (4 bytes each), then depth, colour type, compression, filter,
    // interlace (1 byte each).
    offset: fc.constantFrom(0, 4, 8, 9, 10, 11, 12),
    value: interesting32,
  }),
);

/** Start and length of each JPEG segment with a length field, up to the first scan. */
function jpegSegments(b: Buffer): Array<{ at: number; marker: number }> {
  const segments: Array<{ at: number; marker: number }> = [];
  for (let at = 2; at + 4 <= b.length && b[at] === 0xff; ) {
    const marker = b[at + 1] ?? 0;
    if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)) break;
    segments.push({ at, marker });
    if (marker === 0xda) break;
    at += 2 + b.readUInt16BE(at + 2);
  }
  return segments;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Offset and data length of each PNG chunk that lies wholly inside the file. */
function pngChunks(b: Buffer): Array<{ at: number; length: number }> {
  const chunks: Array<{ at: number; length: number }> = [];
  for (let at = 8; at + 12 <= b.length; ) {
    const length = b.readUInt32BE(at);
    if (at + 12 + length > b.length) break;
    chunks.push({ at, length });
    at += 12 + length;
  }
  return chunks;
}

function fixPngCrc(b: Buffer, chunk: { at: number; length: number }): void {
  const end = chunk.at + 8 + chunk.length;
  b.writeUInt32BE(crc32(b.subarray(chunk.at + 4, end)), end);
}

function isPng(b: Buffer): boolean {
  return b.length >= 8 && b.readUInt32BE(0) === 0x89504e47;
}

/** `input` with the mutation applied (a new buffer; the input is never changed). */
export function mutate(input: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(input);
  const n = b.length;
  if (n === 0) return m.kind === "insert" ? Buffer.from(m.bytes) : b;
  switch (m.kind) {
    case "flip":
      b[m.at % n] = (b[m.at % n] ?? 0) ^ (1 << m.bit);
      return b;
    case "set":
    case "setHeader":
      b[m.at % n] = m.value;
      return b;
    case "truncate":
      return b.subarray(0, m.at % n);
    case "insert":
      return Buffer.concat([b.subarray(0, m.at % n), m.bytes, b.subarray(m.at % n)]);
    case "delete":
      return Buffer.concat([b.subarray(0, m.at % n), b.subarray((m.at % n) + m.length)]);
    case "duplicate": {
      const from = m.from % n;
      const piece = b.subarray(from, from + m.length);
      return Buffer.concat([b.subarray(0, m.to % n), piece, b.subarray(m.to % n)]);
    }
    case "jpegFrameSize": {
      const sof = jpegSegments(b).find((s) => SOF.has(s.marker));
      if (sof && sof.at + 9 <= n) b.writeUInt16BE(m.value, sof.at + (m.field === "height" ? 5 : 7));
      return b;
    }
    case "jpegSegmentLength": {
      const segments = jpegSegments(b);
      const segment = segments[m.index % Math.max(segments.length, 1)];
      if (segment) b.writeUInt16BE(m.value, segment.at + 2);
      return b;
    }
    case "pngChunkByte": {
      const chunks = isPng(b) ? pngChunks(b) : [];
      const chunk = chunks[m.index % Math.max(chunks.length, 1)];
      if (!chunk || chunk.length === 0) return b;
      b[chunk.at + 8 + (m.at % chunk.length)] = m.value;
      fixPngCrc(b, chunk);
      return b;
    }
    case "pngHeader": {
      const ihdr = isPng(b) ? pngChunks(b)[0] : undefined;
      if (!ihdr || ihdr.length < 13) return b;
      if (m.offset < 8) b.writeUInt32BE(m.value >>> 0, ihdr.at + 8 + m.offset);
      else b[ihdr.at + 8 + m.offset] = m.value & 0xff;
      fixPngCrc(b, ihdr);
      return b;
    }
  }
}

/** One of `seeds`, with one to four mutations applied in turn. */
export function mutatedSeedArb(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
    })
    .map(({ seed, mutations }) => mutations.reduce(mutate, seeds[seed] ?? Buffer.alloc(0)));
}

/** The first bytes of every format Portrait sniffs, accepted or refused. */
const SIGNATURES = [
  [0xff, 0xd8, 0xff, 0xe0],
  [0xff, 0xd8, 0xff, 0xdb],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
  [...Buffer.from("GIF89a")],
  [...Buffer.from("RIFF\0\0\0\0WEBPVP8 ")],
  [...Buffer.from("RIFF\0\0\0\0WEBPVP8L")],
  [...Buffer.from("RIFF\0\0\0\0WEBPVP8X")],
  [0, 0, 0, 0x18, ...Buffer.from("ftypheic")],
  [0x49, 0x49, 0x2a, 0],
  [...Buffer.from("%PDF-1.7\n")],
  [...Buffer.from("<svg ")],
].map((signature) => Buffer.from(signature));

/** Random bytes: bare, or behind the signature of an image format. */
export const randomBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(fc.constantFrom(...SIGNATURES), fc.uint8Array({ maxLength: 2048 }))
    .map(([signature, rest]) => Buffer.concat([signature, rest])),
);
