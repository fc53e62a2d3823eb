import assert from "node:assert/strict";
import { describe, test } from "node:test";
import sharp from "sharp";
import { detectFormat, formatName, isAcceptedFormat } from "../../src/image/detect-format.ts";
import { sharedImage, solidImage } from "./helpers.ts";

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(
    parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))),
  );

describe("detectFormat: accepted formats, from real encoders", () => {
  for (const format of ["jpeg", "png", "webp", "gif"] as const) {
    test(format, async () => {
      const detected = detectFormat(await solidImage(10, 10, format));
      assert.equal(detected, format);
      assert.ok(detected && isAcceptedFormat(detected));
    });
  }
});

describe("detectFormat: recognised but refused", () => {
  test("the iPhone HEIC and the TIFF of the shared images", () => {
    assert.equal(detectFormat(sharedImage("other/IMG_5195.HEIC")), "heic");
    assert.equal(detectFormat(sharedImage("other/BSG1.tiff")), "tiff");
  });

  test("AVIF written by sharp", async () => {
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#f00" } })
      .avif()
      .toBuffer();
    assert.equal(detectFormat(avif), "avif");
  });

  const cases: Array<[string, Uint8Array]> = [
    ["tiff", bytes("II*\0", [8, 0, 0, 0])],
    ["tiff", bytes("MM\0+", [0, 8, 0, 0])],
    ["heic", bytes([0, 0, 0, 0x18], "ftypmif1", [0, 0, 0, 0], "mif1heic")],
    ["avif", bytes([0, 0, 0, 0x1c], "ftypmif1", [0, 0, 0, 0], "mif1avifmiaf")],
    ["bmp", bytes("BM", [0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0])],
    ["pdf", bytes("%PDF-1.7\n")],
    ["ico", bytes([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0], new Array(8).fill(0))],
    ["cur", bytes([0, 0, 2, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0], new Array(8).fill(0))],
    ["jxl", bytes([0xff, 0x0a, 0xfa, 0x1f])],
    ["jxl", bytes([0, 0, 0, 0x0c], "JXL ", [0x0d, 0x0a, 0x87, 0x0a])],
    ["jp2", bytes([0, 0, 0, 0x0c], "jP  ", [0x0d, 0x0a, 0x87, 0x0a])],
    ["psd", bytes("8BPS", [0, 1, 0, 0])],
    ["exr", bytes([0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0])],
    ["hdr", bytes("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n")],
    ["qoi", bytes("qoif", [0, 0, 0, 1, 0, 0, 0, 1, 3, 0])],
    ["pnm", bytes("P6\n2 2\n255\n")],
    ["postscript", bytes("%!PS-Adobe-3.0 EPSF-3.0\n")],
    ["xcf", bytes("gimp xcf v011\0")],
  ];
  for (const [format, input] of cases) {
    test(`${format}: ${JSON.stringify(Buffer.from(input).subarray(0, 12).toString("latin1"))}`, () => {
      const detected = detectFormat(input);
      assert.equal(detected, format);
      assert.ok(detected && !isAcceptedFormat(detected));
    });
  }

  test("formats have human names for the error message", () => {
    assert.equal(formatName("heic"), "HEIC");
    assert.equal(formatName("jxl"), "JPEG XL");
    assert.equal(formatName("webp"), "WebP");
  });
});

describe("detectFormat: SVG by its text", () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';
  const svgs: Record<string, string> = {
    plain: svg,
    "leading whitespace": `\n\t  ${svg}`,
    "XML declaration": `<?xml version="1.0" encoding="UTF-8"?>\n${svg}`,
    "BOM, declaration, comment, DOCTYPE with internal subset": `\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [ <!ENTITY a "b"> ]>\n${svg}`,
    "namespace prefix": '<svg:svg xmlns:svg="http://www.w3.org/2000/svg"></svg:svg>',
    "start tag with >": "<svg>\n</svg>",
  };
  for (const [name, text] of Object.entries(svgs)) {
    test(name, () => assert.equal(detectFormat(Buffer.from(text, "utf8")), "svg"));
  }

  test("UTF-16 with a byte-order mark", () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(svg, "utf16le")]);
    assert.equal(detectFormat(utf16), "svg");
  });

  const notSvg: Record<string, string> = {
    "HTML page": "<!DOCTYPE html><html><body><svg></svg></body></html>",
    "other XML": '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>',
    "an element merely starting with svg": "<svgfoo/>",
    "unclosed comment": "<!-- <svg>",
    "JSON body": '{"svg": "<svg/>"}',
  };
  for (const [name, text] of Object.entries(notSvg)) {
    test(`not SVG: ${name}`, () => assert.equal(detectFormat(Buffer.from(text)), undefined));
  }
});

describe("detectFormat: not images", () => {
  const cases: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    "one byte": new Uint8Array([0xff]),
    "two JPEG bytes only": new Uint8Array([0xff, 0xd8]),
    "plain text": Buffer.from("hello, world"),
    "RIFF but not WebP (WAV)": bytes("RIFF", [0, 0, 0, 0], "WAVEfmt "),
    "MP4 video": bytes([0, 0, 0, 0x18], "ftypisom", [0, 0, 2, 0], "isomiso2"),
    "BM without a BMP header": bytes("BMW is a car brand, not a bitmap"),
    "zip archive": bytes("PK", [3, 4, 20, 0, 0, 0]),
  };
  for (const [name, input] of Object.entries(cases)) {
    test(name, () => assert.equal(detectFormat(input), undefined));
  }
});
