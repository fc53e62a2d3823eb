/**
 * One upload stream: uploads fresh images to one user's photo, one after another; after each
 * 200 it reads every size back (the bytes the acknowledged upload must still have after a
 * crash). It ends when a request fails at the connection level, which must only happen once the
 * server has been killed.
 */
import { makeCodedJpeg, readCode } from "../lib/colour-code.ts";
import { isUnexpected, listSizes, readSize, uploadPhoto } from "../lib/graph-photos.ts";
import type { ConnectionFailure } from "../lib/http-client.ts";
import {
  type DurableVersion,
  describeUpload,
  type PhotoState,
  type Upload,
  type UploadPlanner,
} from "./model.ts";

export interface StreamContext {
  baseUrl: string;
  token: string;
  planner: UploadPlanner;
  /** True once the controller has decided to kill the server. */
  killed(): boolean;
  /** Counts an upload the server answered 200. */
  acknowledged(upload: Upload): void;
  /** Counts an upload sent (its request was started). */
  sent(upload: Upload): void;
}

export type StreamEnd =
  | { kind: "stopped"; failure: ConnectionFailure }
  | { kind: "violation"; message: string };

export async function runUploadStream(
  photo: PhotoState,
  context: StreamContext,
): Promise<StreamEnd> {
  const { baseUrl, token } = context;
  const stopped = (failure: ConnectionFailure): StreamEnd =>
    context.killed()
      ? { kind: "stopped", failure }
      : {
          kind: "violation",
          message: `photo ${photo.index}: a request failed before the kill (${failure.code}: ${failure.message})`,
        };
  const violation = (message: string): StreamEnd => ({
    kind: "violation",
    message: `photo ${photo.index}: ${message}`,
  });

  for (;;) {
    const upload = context.planner.next(photo.index);
    const image = await makeCodedJpeg(upload.id, upload.width, upload.height);
    if (context.killed()) {
      return { kind: "stopped", failure: { code: "NOT_SENT", message: "killed first" } };
    }
    photo.inFlight = upload;
    context.sent(upload);
    const put = await uploadPhoto(baseUrl, token, photo.userId, image);
    if (!put.ok) return stopped(put.failure);
    if (put.value.status !== 200) {
      return violation(
        `${describeUpload(upload)} answered ${put.value.status}: ${put.value.body.toString("utf8").slice(0, 300)}`,
      );
    }
    const durable: DurableVersion = { upload, read: new Map(), acknowledged: true };
    photo.durable = durable;
    photo.inFlight = undefined;
    context.acknowledged(upload);

    // Read the acknowledged photo back: these are the bytes that must survive any crash.
    const listing = await listSizes(baseUrl, token, photo.userId);
    if (!listing.ok) return stopped(listing.failure);
    if (isUnexpected(listing.value)) {
      return violation(`listing after ${describeUpload(upload)}: ${listing.value.status}`);
    }
    const edges = listing.value.map((size) => size.edge);
    if (edges.join() !== upload.edges.join()) {
      return violation(`after ${describeUpload(upload)} the listing has sizes ${edges.join("/")}`);
    }
    for (const listed of listing.value) {
      const size = await readSize(baseUrl, token, photo.userId, listed.edge);
      if (!size.ok) return stopped(size.failure);
      if (isUnexpected(size.value)) {
        return violation(
          `size ${listed.edge} after ${describeUpload(upload)}: ${size.value.status}`,
        );
      }
      const code = await readCode(size.value.bytes);
      if (!code.ok || code.id !== upload.id || size.value.etag !== listed.etag) {
        const found = code.ok ? `upload #${code.id}` : code.problem;
        return violation(
          `size ${listed.edge} read right after ${describeUpload(upload)} is ${found}, ` +
            `ETag ${size.value.etag} (listed ${listed.etag})`,
        );
      }
      durable.read.set(listed.edge, size.value);
    }
  }
}
