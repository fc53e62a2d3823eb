/**
 * Upload bodies that never finish, on a real socket: however many connections start an upload
 * (or a `$batch`) and then stall, the process holds at most IMAGE_CONCURRENCY +
 * IMAGE_QUEUE_LIMIT such bodies; later ones get 503 with Retry-After before their body is read,
 * reads keep working, and the places come back when the stalled connections go.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { makeJpeg } from "../helpers/images.ts";
import { openRaw, type RawConnection, requestHead } from "../helpers/raw-http.ts";
import { startService, type TestService } from "../helpers/service.ts";

const DECLARED = 4 * 1024 * 1024;

type GraphBody = { error: { code: string } };

describe("stalled upload bodies", { timeout: 60_000 }, () => {
  let service: TestService;
  let port: number;
  let auth: { authorization: string };
  let userId: string;
  let jpeg: Buffer;

  before(async () => {
    // Two places: one image worker and one waiting place.
    service = await startService({ IMAGE_CONCURRENCY: "1", IMAGE_QUEUE_LIMIT: "1" });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    port = (service.app.server.address() as AddressInfo).port;
    auth = { authorization: `Bearer ${await service.appToken()}` };
    userId = await service.createUser("stalled@portrait.test");
    jpeg = await makeJpeg(96, 96);
  });
  after(async () => {
    await service?.close();
  });

  const url = (path: string) => `http://127.0.0.1:${port}/v1.0${path}`;
  const put = () =>
    fetch(url(`/users/${userId}/photo/$value`), {
      method: "PUT",
      headers: { ...auth, "content-type": "image/jpeg" },
      body: jpeg,
    });
  const batch = () =>
    fetch(url("/$batch"), {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        requests: [
          {
            id: "1",
            method: "PUT",
            url: `/users/${userId}/photo/$value`,
            headers: { "content-type": "image/jpeg" },
            body: jpeg.toString("base64"),
          },
        ],
      }),
    });

  /** Waits until the server has admitted `count` upload bodies. */
  const admitted = async (count: number) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      if (Number(/portrait_upload_bodies_in_flight (\d+)/.exec(metrics)?.[1]) === count) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`never ${count} upload bodies in flight`);
  };

  /** A connection that sends an upload's head and a first slice of its body, then nothing. */
  const stall = async (path: string, type: string): Promise<RawConnection> => {
    const raw = await openRaw(port);
    const head = { ...auth, "content-type": type, "content-length": DECLARED };
    await raw.write(
      requestHead(path.endsWith("$batch") ? "POST" : "PUT", `/v1.0${path}`, port, head),
    );
    await raw.write(Buffer.alloc(1024, 0x41));
    return raw;
  };

  test("beyond the places, uploads and batches get 503 at once; reads work; places come back", async () => {
    const stalled = [
      await stall(`/users/${userId}/photo/$value`, "image/jpeg"),
      await stall("/$batch", "application/json"),
    ];
    await admitted(2);
    const refused = await put();
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(((await refused.json()) as GraphBody).error.code, "serviceNotAvailable");
    const refusedBatch = await batch();
    assert.equal(refusedBatch.status, 503);
    assert.equal(((await refusedBatch.json()) as GraphBody).error.code, "serviceNotAvailable");

    const read = await fetch(url(`/users/${userId}`), { headers: auth });
    assert.equal(read.status, 200, "reads are not held up");
    for (const raw of stalled) assert.equal(raw.hasResponse(), false, "the stalled still wait");

    for (const raw of stalled) raw.destroy();
    await admitted(0);
    assert.equal((await put()).status, 200, "an upload is taken again once the stalled are gone");
  });

  test("a batch's own upload is not counted twice: it works with one place left", async () => {
    const stalledUpload = await stall(`/users/${userId}/photo/$value`, "image/jpeg");
    await admitted(1);
    try {
      const answer = await batch();
      assert.equal(answer.status, 200);
      const [step] = ((await answer.json()) as { responses: { status: number }[] }).responses;
      assert.equal(step?.status, 200, JSON.stringify(step));
    } finally {
      stalledUpload.destroy();
      await stalledUpload.closed;
    }
  });
});
