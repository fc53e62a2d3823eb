/**
 * Hostile-looking uploads that are legal and must work, through HTTP: a large progressive JPEG,
 * images just under the 50-megapixel limit, and polyglots carrying HTML and script.
 *
 * Memory budget: one upload of a 7000x7000 image (49 MP; baseline JPEG, progressive JPEG or
 * PNG) keeps the whole service process under 512 MiB peak RSS. It is measured in a process of
 * its own (upload-in-child.ts) from the kernel's high-water mark, and reported as a test
 * diagnostic. On a 2-core reference machine: about 145 MiB for the baseline JPEG (decoded at
 * 1/8 scale), 170 MiB for the PNG and 275 MiB for the progressive JPEG, which libjpeg must
 * buffer whole. The budget is asserted only as a generous ceiling.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import sharp from "sharp";
import { makeJpeg, makePng } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";
import { pngChunk } from "./crafted.ts";
import { type Headers, photoSnapshot, putPhoto } from "./support.ts";
import type { ChildUploadReport } from "./upload-in-child.ts";

const BUDGET_BYTES = 512 * 1024 * 1024;
const ROOT = new URL("../..", import.meta.url).pathname;
const CHILD = new URL("./upload-in-child.ts", import.meta.url).pathname;
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

let service: TestService;

before(async () => {
  service = await startService({ RATE_LIMIT_REQUESTS: "0" });
});
after(() => service?.close());

async function newUser(name: string): Promise<Headers> {
  const id = await service.createUser(`${name}@contoso.com`);
  return { authorization: `Bearer ${await service.userToken(id, ["User.ReadWrite"])}` };
}

describe("large images", () => {
  test("a 6000x4000 progressive JPEG is accepted: nine baseline sizes", async () => {
    const progressive = await sharp(await makeJpeg(60, 40))
      .resize(6000, 4000)
      .jpeg({ progressive: true })
      .toBuffer();
    const meta = await sharp(progressive).metadata();
    assert.deepEqual([meta.width, meta.height, meta.isProgressive], [6000, 4000, true]);
    const owner = await newUser("progressive");
    assert.equal((await putPhoto(service, owner, progressive)).statusCode, 200);
    const sizes = await photoSnapshot(service, owner);
    assert.equal(sizes.length, 9);
    for (const size of sizes) {
      assert.equal((await sharp(size.bytes).metadata()).isProgressive, false, size.id);
    }
  });

  const just49: Record<string, () => Promise<Buffer>> = {
    "baseline JPEG": async () =>
      sharp(await makeJpeg(70, 70))
        .resize(7000, 7000)
        .jpeg()
        .toBuffer(),
    "progressive JPEG": async () =>
      sharp(await makeJpeg(70, 70))
        .resize(7000, 7000)
        .jpeg({ progressive: true })
        .toBuffer(),
    PNG: async () =>
      sharp(await makePng(700, 700))
        .resize(7000, 7000, { kernel: "nearest" })
        .png()
        .toBuffer(),
  };
  for (const [name, make] of Object.entries(just49)) {
    test(`7000x7000 ${name} (49 MP, just under the limit): accepted within the memory budget`, async (t) => {
      const image = await make();
      assert.ok(image.length <= 4_194_304, `${image.length} bytes fit in one upload`);
      const dir = await mkdtemp(join(tmpdir(), "portrait-49mp-"));
      try {
        const file = join(dir, "image");
        await writeFile(file, image);
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ["--import", "tsx", CHILD, file],
          { cwd: ROOT, maxBuffer: 1024 * 1024 },
        );
        const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as ChildUploadReport;
        t.diagnostic(
          `${name}: RSS ${MiB(report.rssBeforeBytes)} before, peak ${MiB(report.peakRssBytes)}` +
            ` (budget ${MiB(BUDGET_BYTES)})`,
        );
        assert.equal(report.status, 200);
        assert.equal(report.sizes.length, 9);
        assert.ok(report.peakRssBytes < BUDGET_BYTES, `peak RSS ${MiB(report.peakRssBytes)}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("polyglots: HTML and script in or after an image never reach a stored size", () => {
  const PAYLOAD = '<html><body><script>alert("portrait-polyglot")</script></body></html>';
  const MARKERS = ["<script", "<html", "portrait-polyglot", "alert("];

  const jpegWithComment = async () => {
    const jpeg = await makeJpeg(300, 300);
    const text = Buffer.from(PAYLOAD, "latin1");
    const length = Buffer.alloc(2);
    length.writeUInt16BE(text.length + 2);
    const com = Buffer.concat([Buffer.from([0xff, 0xfe]), length, text]);
    return Buffer.concat([jpeg.subarray(0, 2), com, jpeg.subarray(2)]);
  };
  const pngWithText = async () => {
    const png = await makePng(300, 300);
    const text = pngChunk("tEXt", Buffer.from(`Comment\0${PAYLOAD}`, "latin1"));
    return Buffer.concat([png.subarray(0, 33), text, png.subarray(33)]);
  };
  const gifWithComment = async () => {
    const gif = await sharp(await makePng(300, 300))
      .gif()
      .toBuffer();
    const flags = gif[10] ?? 0;
    const afterTable = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
    const text = Buffer.from(PAYLOAD, "latin1");
    const comment = Buffer.concat([Buffer.from([0x21, 0xfe, text.length]), text, Buffer.from([0])]);
    return Buffer.concat([gif.subarray(0, afterTable), comment, gif.subarray(afterTable)]);
  };
  const polyglots: Record<string, () => Promise<Buffer>> = {
    "JPEG with the payload in a COM segment": jpegWithComment,
    "JPEG with the payload after its EOI": async () =>
      Buffer.concat([await makeJpeg(300, 300), Buffer.from(PAYLOAD)]),
    "PNG with the payload in a tEXt chunk": pngWithText,
    "PNG with the payload after IEND": async () =>
      Buffer.concat([await makePng(300, 300), Buffer.from(PAYLOAD)]),
    "GIF with the payload in a comment extension": gifWithComment,
  };

  for (const [name, make] of Object.entries(polyglots)) {
    test(name, async () => {
      const input = await make();
      assert.ok(input.includes(PAYLOAD), "the payload is in the upload");
      const owner = await newUser(`poly-${name.split(" ")[0]?.toLowerCase()}-${input.length}`);
      assert.equal((await putPhoto(service, owner, input)).statusCode, 200);
      const sizes = await photoSnapshot(service, owner);
      assert.deepEqual(
        sizes.map((size) => size.id),
        ["48X48", "64X64", "96X96", "120X120", "240X240"],
      );
      for (const size of sizes) {
        const text = size.bytes.toString("latin1").toLowerCase();
        for (const marker of MARKERS) assert.ok(!text.includes(marker), `${marker} in ${size.id}`);
        const meta = await sharp(size.bytes).metadata();
        const edge = Number(size.id.split("X")[0]);
        assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", edge, edge]);
        assert.deepEqual([...size.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], "starts with SOI");
        assert.deepEqual([...size.bytes.subarray(-2)], [0xff, 0xd9], "ends with EOI");
      }
    });
  }
});
