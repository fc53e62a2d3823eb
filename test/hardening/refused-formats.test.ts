/**
 * Every format outside the allow-list, through HTTP against a user who already has a photo:
 * 415 UnsupportedMediaType naming the format, the photo byte-for-byte unchanged, and no decoder
 * run. That no decoder ran is shown three ways: the 415 message is made by the signature check,
 * which runs before any sharp call; the HEIC, AVIF, TIFF and SVG inputs are real files that
 * libvips's loaders do read (in a fresh process without Portrait's settings; the TIFF and SVG
 * would be 900-megapixel decodes); and in the service's process libvips refuses every one of
 * them itself, its loaders blocked (this libvips has no BMP, ICO or PDF loader at all).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import sharp from "sharp";
import { startService, type TestService } from "../helpers/service.ts";
import { minimalBmp, minimalIco, minimalPdf, tiffDeclaring } from "./crafted.ts";
import { createVictim, type Victim } from "./support.ts";

const REFUSED: Record<string, () => Promise<Buffer> | Buffer> = {
  HEIC: () => readFile("/work/shared/images/other/IMG_5195.HEIC"),
  AVIF: () =>
    sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
      .avif()
      .toBuffer(),
  TIFF: () => tiffDeclaring(30_000, 30_000),
  SVG: () =>
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="30000" height="30000">' +
        '<rect width="100%" height="100%" fill="red"/></svg>',
    ),
  BMP: () => minimalBmp(),
  PDF: () => minimalPdf(),
  ICO: () => minimalIco(),
};

let service: TestService;
let victim: Victim;
const inputs = new Map<string, Buffer>();

before(async () => {
  service = await startService({ RATE_LIMIT_REQUESTS: "0" });
  victim = await createVictim(service, "target@contoso.com");
  for (const [name, make] of Object.entries(REFUSED)) inputs.set(name, await make());
});
after(() => service?.close());

for (const name of Object.keys(REFUSED)) {
  test(`${name}: 415 naming the format, nothing changed`, async () => {
    const error = await victim.assertRefused(inputs.get(name) ?? "", 415, "UnsupportedMediaType");
    // Made by the signature check only; a blocked or failing loader would have given a 400.
    assert.equal(error.message, `${name} images are not supported; send JPEG, PNG, WebP or GIF.`);
  });
}

/** `format widthxheight` of each input as read by libvips in a fresh process. */
async function metadataWithoutPortrait(files: Buffer[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "portrait-refused-"));
  try {
    const paths = files.map((_, i) => join(dir, String(i)));
    await Promise.all(paths.map((path, i) => writeFile(path, files[i] ?? "")));
    const script =
      'import sharp from "sharp"; import { readFileSync } from "node:fs"; const out = [];' +
      "for (const f of process.argv.slice(1)) {" +
      " const m = await sharp(readFileSync(f), { limitInputPixels: false }).metadata();" +
      ' out.push(m.format + " " + m.width + "x" + m.height); }' +
      "console.log(JSON.stringify(out));";
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script, ...paths],
      { cwd: new URL("../..", import.meta.url).pathname },
    );
    return JSON.parse(stdout) as string[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("libvips has loaders for HEIC, AVIF, TIFF and SVG, and they read these very files", async () => {
  const names = ["HEIC", "AVIF", "TIFF", "SVG"];
  const [heic, avif, tiff, svg] = await metadataWithoutPortrait(
    names.map((name) => inputs.get(name) ?? Buffer.alloc(0)),
  );
  assert.match(heic ?? "", /^heif \d+x\d+$/);
  assert.equal(avif, "heif 64x64");
  assert.equal(tiff, "tiff 30000x30000");
  assert.equal(svg, "svg 30000x30000");
});

test("in the service's process no loader reads any of them: libvips itself refuses", async () => {
  for (const [name, bytes] of inputs) {
    await assert.rejects(sharp(bytes).metadata(), /unsupported image format/, name);
  }
});
