/**
 * The check after a restart, for one photo. The served photo must be one complete upload: the
 * last one known durable, or the one that was in flight at the kill (it may have committed
 * without its 200 reaching the client), never an older one, another photo's or a mix. Every size
 * of it must be there, square, of its edge, with an ETag matching its `@odata.mediaEtag`, and
 * when it is the known durable version, byte for byte what was read before the kill.
 */
import { etagOf } from "../../src/photos/photo-service.ts";
import { readCode } from "../lib/colour-code.ts";
import {
  isUnexpected,
  listSizes,
  type Outcome,
  readSize,
  type Unexpected,
} from "../lib/graph-photos.ts";
import {
  type DurableVersion,
  describeUpload,
  type PhotoState,
  type ReadSize,
  type Upload,
  type UploadPlanner,
} from "./model.ts";

export type Verdict =
  | { ok: true; served: "none" | "durable" | "inFlight" }
  | { ok: false; message: string };

export async function verifyPhoto(
  baseUrl: string,
  token: string,
  photo: PhotoState,
  planner: UploadPlanner,
): Promise<Verdict> {
  const fail = (message: string): Verdict => ({
    ok: false,
    message: `photo ${photo.index}: ${message}`,
  });
  const known = photo.durable;
  const listing = settle(await listSizes(baseUrl, token, photo.userId));
  if (typeof listing === "string") return fail(`listing: ${listing}`);
  if (listing.length === 0) {
    if (known) return fail(`${describeUpload(known.upload)} is lost: the photo is gone`);
    photo.inFlight = undefined;
    return { ok: true, served: "none" };
  }

  const sizes = new Map<number, ReadSize>();
  const ids = new Set<number>();
  for (const listed of listing) {
    const size = settle(await readSize(baseUrl, token, photo.userId, listed.edge));
    if (typeof size === "string") return fail(`size ${listed.edge}: ${size}`);
    const code = await readCode(size.bytes);
    if (!code.ok) return fail(`size ${listed.edge} is no complete upload: ${code.problem}`);
    if (code.width !== listed.edge || code.height !== listed.edge) {
      return fail(`size ${listed.edge} is ${code.width}x${code.height}`);
    }
    if (size.etag !== listed.etag || size.etag !== etagOf(size.bytes)) {
      return fail(
        `size ${listed.edge}: ETag ${size.etag}, listed ${listed.etag}, of bytes ${etagOf(size.bytes)}`,
      );
    }
    ids.add(code.id);
    sizes.set(listed.edge, size);
  }
  if (ids.size !== 1) return fail(`sizes mix uploads #${[...ids].join(", #")}`);
  const servedId = [...ids][0] ?? 0;

  const inFlight = photo.inFlight;
  let served: Upload;
  if (known && servedId === known.upload.id) served = known.upload;
  else if (inFlight && servedId === inFlight.id) served = inFlight;
  else return fail(`serves ${whose(servedId, photo, planner)}; expected ${expected(photo)}`);

  const edges = [...sizes.keys()];
  if (edges.join() !== served.edges.join()) {
    return fail(`serves sizes ${edges.join("/")} of ${describeUpload(served)}`);
  }
  if (known && served === known.upload) {
    const changed = changedSizes(known, sizes);
    if (changed.length > 0) {
      return fail(
        `${describeUpload(served)} changed bytes of sizes ${changed.join("/")} across the crash`,
      );
    }
  }
  const largest = settle(await readSize(baseUrl, token, photo.userId));
  const largestEdge = edges.at(-1) ?? 0;
  if (typeof largest === "string") return fail(`photo/$value: ${largest}`);
  if (!largest.bytes.equals(sizes.get(largestEdge)?.bytes ?? Buffer.alloc(0))) {
    return fail(`photo/$value is not the ${largestEdge} size`);
  }

  const wasInFlight = served !== known?.upload;
  const durable: DurableVersion = { upload: served, read: sizes, acknowledged: !wasInFlight };
  photo.durable = durable;
  photo.inFlight = undefined;
  return { ok: true, served: wasInFlight ? "inFlight" : "durable" };
}

/** The value, or a sentence saying why there is none. */
function settle<T>(outcome: Outcome<T | Unexpected>): T | string {
  if (!outcome.ok) return `no answer (${outcome.failure.code}: ${outcome.failure.message})`;
  if (isUnexpected(outcome.value)) return `answered ${outcome.value.status}: ${outcome.value.body}`;
  return outcome.value;
}

function changedSizes(known: DurableVersion, now: Map<number, ReadSize>): number[] {
  const changed: number[] = [];
  for (const [edge, before] of known.read) {
    const after = now.get(edge);
    if (!after || after.etag !== before.etag || !after.bytes.equals(before.bytes))
      changed.push(edge);
  }
  return changed;
}

function whose(id: number, photo: PhotoState, planner: UploadPlanner): string {
  const upload = planner.find(id);
  if (!upload) return `unknown upload #${id}`;
  if (upload.photo !== photo.index) return `${describeUpload(upload)} of photo ${upload.photo}`;
  return `the older ${describeUpload(upload)}`;
}

function expected(photo: PhotoState): string {
  const options = [photo.durable?.upload, photo.inFlight].filter(
    (u): u is Upload => u !== undefined,
  );
  return options.length === 0 ? "no photo" : options.map((u) => `#${u.id}`).join(" or ");
}
