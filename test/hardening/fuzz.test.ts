/**
 * Property-based fuzzing of the upload endpoint through HTTP, with fast-check and a fixed seed:
 * mutations of small real JPEG, PNG, GIF and WebP files, and random bytes (bare or behind an
 * image signature). Every answer must be 200 (empty body) or 400/413/415 in Graph's error shape:
 * never a 5xx, never a crash. Saved fixtures (inputs that once failed) are replayed first; a new
 * counterexample is minimised and saved there. Size: MUTATED_RUNS + RANDOM_RUNS inputs, about
 * 50 s on an idle 2-core machine (the image work is the cost).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import fc from "fast-check";
import sharp from "sharp";
import { makeJpeg, makePng } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";
import {
  adoptCrashInputs,
  clearInflight,
  loadFixtures,
  recordInflight,
  saveFixture,
} from "./fuzz-fixtures.ts";
import { mutatedSeedArb, randomBytesArb } from "./mutations.ts";
import {
  graphErrorProblem,
  type Headers,
  photoSnapshot,
  putPhoto,
  UPLOAD_STATUSES,
} from "./support.ts";

const SEED = 0x504f5254;
const MUTATED_RUNS = 6000;
const RANDOM_RUNS = 2000;

let service: TestService;
let owner: Headers;
let seeds: Buffer[];
/** Answers seen, by status and code: shows how deep the inputs get. */
const outcomes = new Map<string, number>();

before(async () => {
  service = await startService({ RATE_LIMIT_REQUESTS: "0" });
  const id = await service.createUser("fuzz@contoso.com");
  owner = { authorization: `Bearer ${await service.userToken(id, ["User.ReadWrite"])}` };
  const png = await makePng(64, 64);
  seeds = [
    await makeJpeg(64, 64),
    await makeJpeg(200, 150),
    await sharp(await makeJpeg(96, 72))
      .jpeg({ progressive: true })
      .toBuffer(),
    await readFile("/work/shared/images/other/Canon_40D.jpg"),
    png,
    await sharp(await makePng(80, 60))
      .png({ palette: true })
      .toBuffer(),
    await sharp(png).gif().toBuffer(),
    await sharp(png).webp().toBuffer(),
    await sharp(png).webp({ lossless: true }).toBuffer(),
  ];
});
after(async () => {
  await clearInflight();
  await service?.close();
});

/** Uploads `bytes`; why the answer breaks the contract, or `undefined` when it keeps it. */
async function uploadProblem(bytes: Uint8Array): Promise<string | undefined> {
  recordInflight(bytes);
  const response = await putPhoto(service, owner, bytes);
  const status = response.statusCode;
  const outcome = status === 200 ? "200" : `${status} ${errorCode(response.body)}`;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  if (!UPLOAD_STATUSES.includes(status)) return `status ${status}: ${response.body.slice(0, 200)}`;
  if (status === 200) return response.body === "" ? undefined : "a 200 with a body";
  return graphErrorProblem(response);
}

function errorCode(body: string): string {
  try {
    return String(JSON.parse(body).error?.code);
  } catch {
    return "(not JSON)";
  }
}

async function assertProperty(kind: string, input: fc.Arbitrary<Buffer>, numRuns: number) {
  const property = fc.asyncProperty(input, async (bytes) => {
    const problem = await uploadProblem(bytes);
    if (problem) throw new Error(problem);
  });
  const details = await fc.check(property, { seed: SEED, numRuns });
  if (!details.failed) return details.numRuns;
  const bytes = details.counterexample?.[0];
  const saved = bytes ? await saveFixture(kind, bytes) : "(no counterexample)";
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : "";
  assert.fail(
    `${kind}: ${error}; seed ${details.seed}, path ${details.counterexamplePath}, ` +
      `${bytes?.length} bytes, saved as ${saved}`,
  );
}

test("inputs that once failed or crashed still get 200 or a Graph-shaped 4xx", async (t) => {
  const adopted = await adoptCrashInputs();
  if (adopted.length > 0) t.diagnostic(`kept inputs of dead runs as ${adopted.join(", ")}`);
  const fixtures = await loadFixtures();
  t.diagnostic(`${fixtures.length} fixture(s)`);
  const problems: string[] = [];
  for (const { name, bytes } of fixtures) {
    const problem = await uploadProblem(bytes);
    if (problem) problems.push(`${name}: ${problem}`);
  }
  assert.deepEqual(problems, []);
});

test(`${MUTATED_RUNS} mutations of real JPEG, PNG, GIF and WebP files`, async (t) => {
  outcomes.clear();
  const started = performance.now();
  const runs = await assertProperty("mutated", mutatedSeedArb(seeds), MUTATED_RUNS);
  t.diagnostic(`${runs} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  t.diagnostic(`answers: ${[...outcomes].map(([k, v]) => `${k} x${v}`).join(", ")}`);
  // The mutations must reach the decoders, not only the signature check.
  assert.ok((outcomes.get("200") ?? 0) > 0, "some mutations are still valid images");
  assert.ok((outcomes.get("400 InvalidImage") ?? 0) > 0);
});

test(`${RANDOM_RUNS} random inputs, bare or behind an image signature`, async (t) => {
  outcomes.clear();
  const started = performance.now();
  const runs = await assertProperty("random", randomBytesArb, RANDOM_RUNS);
  t.diagnostic(`${runs} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  t.diagnostic(`answers: ${[...outcomes].map(([k, v]) => `${k} x${v}`).join(", ")}`);
});

test("afterwards the service is alive: /healthz, and a normal upload works", async () => {
  const health = await service.app.inject({ method: "GET", url: "/healthz" });
  assert.equal(health.statusCode, 200);
  assert.equal((await putPhoto(service, owner, await makeJpeg(300, 200))).statusCode, 200);
  const sizes = await photoSnapshot(service, owner);
  assert.deepEqual(
    sizes.map((size) => size.id),
    ["48X48", "64X64", "96X96", "120X120"],
  );
});
