/**
 * Tells the image format from the first bytes of an upload, by signature only: no decoder runs
 * here. The declared `Content-Type` is never consulted; the bytes decide.
 */
import { looksLikeSvg } from "./svg-sniff.ts";

/** The formats Portrait decodes. */
export const ACCEPTED_FORMATS = ["jpeg", "png", "webp", "gif"] as const;

export type AcceptedFormat = (typeof ACCEPTED_FORMATS)[number];

/** Formats recognised only to be refused with a message naming them. */
export type RefusedFormat =
  | "heic"
  | "avif"
  | "tiff"
  | "svg"
  | "bmp"
  | "pdf"
  | "ico"
  | "cur"
  | "jxl"
  | "jp2"
  | "psd"
  | "jxr"
  | "exr"
  | "hdr"
  | "qoi"
  | "dds"
  | "pnm"
  | "postscript"
  | "xcf"
  | "fits";

export type DetectedFormat = AcceptedFormat | RefusedFormat;

const NAMES: Record<DetectedFormat, string> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WebP",
  gif: "GIF",
  heic: "HEIC",
  avif: "AVIF",
  tiff: "TIFF",
  svg: "SVG",
  bmp: "BMP",
  pdf: "PDF",
  ico: "ICO",
  cur: "CUR",
  jxl: "JPEG XL",
  jp2: "JPEG 2000",
  psd: "Photoshop (PSD)",
  jxr: "JPEG XR",
  exr: "OpenEXR",
  hdr: "Radiance HDR",
  qoi: "QOI",
  dds: "DDS",
  pnm: "PNM",
  postscript: "PostScript",
  xcf: "GIMP XCF",
  fits: "FITS",
};

/** The human name of a format, as used in error messages ("HEIC", "JPEG XL"). */
export function formatName(format: DetectedFormat): string {
  return NAMES[format];
}

export function isAcceptedFormat(format: DetectedFormat): format is AcceptedFormat {
  return (ACCEPTED_FORMATS as readonly string[]).includes(format);
}

/** The format of `bytes`, or `undefined` when they are not a recognisable image. */
export function detectFormat(bytes: Uint8Array): DetectedFormat | undefined {
  return detectBinary(bytes) ?? (looksLikeSvg(bytes) ? "svg" : undefined);
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return "";
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function u16le(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

function u32le(bytes: Uint8Array, offset: number): number {
  return u16le(bytes, offset) + u16le(bytes, offset + 2) * 0x10000;
}

function u32be(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] ?? 0) * 0x1000000 +
    (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0))
  );
}

function detectBinary(b: Uint8Array): DetectedFormat | undefined {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  const head6 = ascii(b, 0, 6);
  if (head6 === "GIF87a" || head6 === "GIF89a") return "gif";
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return "webp";
  if (ascii(b, 4, 4) === "ftyp") return detectIsoMedia(b);
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) {
    return "tiff";
  }
  // BigTIFF
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) {
    return "tiff";
  }
  if (startsWith(b, [0x49, 0x49, 0xbc])) return "jxr";
  if (startsWith(b, [0xff, 0x0a])) return "jxl";
  if (startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return "jxl";
  if (startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return "jp2";
  if (startsWith(b, [0xff, 0x4f, 0xff, 0x51])) return "jp2";
  if (ascii(b, 0, 5) === "%PDF-") return "pdf";
  if (ascii(b, 0, 4) === "%!PS" || startsWith(b, [0xc5, 0xd0, 0xd3, 0xc6])) return "postscript";
  if (ascii(b, 0, 4) === "8BPS" && (b[5] === 1 || b[5] === 2)) return "psd";
  if (isBmp(b)) return "bmp";
  if (isIconDirectory(b, 1)) return "ico";
  if (isIconDirectory(b, 2)) return "cur";
  if (startsWith(b, [0x76, 0x2f, 0x31, 0x01])) return "exr";
  if (ascii(b, 0, 10) === "#?RADIANCE" || ascii(b, 0, 6) === "#?RGBE") return "hdr";
  if (ascii(b, 0, 4) === "qoif") return "qoi";
  if (ascii(b, 0, 4) === "DDS ") return "dds";
  if (ascii(b, 0, 9) === "gimp xcf ") return "xcf";
  if (ascii(b, 0, 9) === "SIMPLE  =") return "fits";
  if (/^P[1-7][\s]$/.test(ascii(b, 0, 3))) return "pnm";
  return undefined;
}

const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);
const GENERIC_HEIF_BRANDS = new Set(["mif1", "msf1", "mif2"]);

/** ISO base media files (`ftyp` box): HEIC and AVIF are images; video and the rest are not. */
function detectIsoMedia(b: Uint8Array): DetectedFormat | undefined {
  const boxSize = Math.min(u32be(b, 0), b.length, 256);
  const brands = [ascii(b, 8, 4)];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(b, offset, 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return "avif";
  if (brands.some((brand) => HEIC_BRANDS.has(brand) || GENERIC_HEIF_BRANDS.has(brand))) {
    return "heic";
  }
  return undefined;
}

const BMP_INFO_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function isBmp(b: Uint8Array): boolean {
  return ascii(b, 0, 2) === "BM" && BMP_INFO_HEADER_SIZES.has(u32le(b, 14));
}

/** ICO (type 1) and CUR (type 2): reserved 0, type, then a non-zero image count. */
function isIconDirectory(b: Uint8Array, type: 1 | 2): boolean {
  if (b.length < 22 || !startsWith(b, [0, 0, type, 0])) return false;
  const count = u16le(b, 4);
  // The first directory entry's reserved byte is 0.
  return count > 0 && b[9] === 0;
}
