/**
 * Overload on a real socket: with one image worker and one waiting place, a burst of uploads is
 * partly refused with 503 serviceNotAvailable and Retry-After, while GETs of a stored photo made
 * at the same time all succeed; after the burst, uploads work again.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { makeJpeg } from "../helpers/images.ts";
import { openRaw, type RawResponse, requestHead } from "../helpers/raw-http.ts";
import { startService, type TestService } from "../helpers/service.ts";

const BURST = 12;
const GETS = 40;

describe("uploads beyond the image queue", { timeout: 120_000 }, () => {
  let service: TestService;
  let base: string;
  let auth: { authorization: string };
  let readerId: string;
  const uploaders: string[] = [];
  let large: Buffer;

  before(async () => {
    service = await startService({ IMAGE_CONCURRENCY: "1", IMAGE_QUEUE_LIMIT: "1" });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}/v1.0`;
    auth = { authorization: `Bearer ${await service.appToken()}` };
    readerId = await service.createUser("reader@portrait.test");
    for (let i = 0; i < BURST; i++) uploaders.push(await service.createUser(`u${i}@portrait.test`));
    // Large enough that one upload is still being processed when the burst's others arrive.
    large = await makeJpeg(3000, 2000);
    const stored = await put(readerId, await makeJpeg(96, 96));
    assert.equal(stored.status, 200);
  });
  after(async () => {
    await service?.close();
  });

  const put = (userId: string, body: Buffer) =>
    fetch(`${base}/users/${userId}/photo/$value`, {
      method: "PUT",
      headers: { ...auth, "content-type": "image/jpeg" },
      body,
    });

  test("some uploads get 503 with Retry-After; concurrent GETs all succeed; then uploads work", async () => {
    const uploads = Promise.all(
      uploaders.map(async (userId) => {
        const response = await put(userId, large);
        return {
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          body: await response.text(),
        };
      }),
    );
    const gets = Promise.all(
      Array.from({ length: GETS }, async () => {
        const response = await fetch(`${base}/users/${readerId}/photos/48x48/$value`, {
          headers: auth,
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const [uploaded, read] = await Promise.all([uploads, gets]);

    assert.deepEqual(read, Array(GETS).fill(200));

    const statuses = uploaded.map((result) => result.status);
    assert.ok(
      statuses.every((status) => status === 200 || status === 503),
      statuses.join(", "),
    );
    assert.ok(statuses.includes(200), statuses.join(", "));
    const refused = uploaded.filter((result) => result.status === 503);
    assert.ok(refused.length > 0, statuses.join(", "));
    for (const result of refused) {
      assert.equal(result.retryAfter, "1");
      const error = JSON.parse(result.body).error;
      assert.equal(error.code, "serviceNotAvailable");
      assert.ok(error.innerError["request-id"]);
    }

    // The refused users have no photo; once the burst is over, their uploads succeed.
    for (const [index, result] of uploaded.entries()) {
      if (result.status !== 503) continue;
      const userId = uploaders[index] as string;
      const none = await fetch(`${base}/users/${userId}/photo`, { headers: auth });
      assert.equal(none.status, 404);
      const retried = await put(userId, large);
      assert.equal(retried.status, 200, await retried.text());
    }
  });
});

describe("an upload arriving while the image work is full", { timeout: 120_000 }, () => {
  let service: TestService;
  let port: number;
  let auth: { authorization: string };

  before(async () => {
    service = await startService({ IMAGE_CONCURRENCY: "1", IMAGE_QUEUE_LIMIT: "0" });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
    port = (service.app.server.address() as AddressInfo).port;
    auth = { authorization: `Bearer ${await service.appToken()}` };
  });
  after(async () => {
    await service?.close();
  });

  const activeImageJobs = async (): Promise<number> => {
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    return Number(/portrait_image_jobs\{state="active"\} (\d+)/.exec(metrics)?.[1]);
  };

  test("gets its 503 before its body is sent, keeps its connection, and nothing is stored", async () => {
    const busyUser = await service.createUser("busy@portrait.test");
    const refusedUser = await service.createUser("refused@portrait.test");
    const heavy = await makeJpeg(6000, 4000);
    const declared = 4 * 1024 * 1024;
    let refused: RawResponse | undefined;
    // The refusal needs the one image worker busy when the head arrives; if the heavy upload
    // finishes first, the head just waits for its body, so try again.
    for (let attempt = 0; attempt < 5 && !refused; attempt++) {
      let settled = false;
      const working = fetch(`http://127.0.0.1:${port}/v1.0/users/${busyUser}/photo/$value`, {
        method: "PUT",
        headers: { ...auth, "content-type": "image/jpeg" },
        body: heavy,
      }).finally(() => {
        settled = true;
      });
      while (!settled && (await activeImageJobs()) === 0) {
        await new Promise((r) => setTimeout(r, 2));
      }
      const raw = await openRaw(port);
      await raw.write(
        requestHead("PUT", `/v1.0/users/${refusedUser}/photo/$value`, port, {
          ...auth,
          "content-type": "image/jpeg",
          "content-length": declared,
        }),
      );
      // A first slice of the body only: the rest is never sent.
      await raw.write(heavy.subarray(0, 64 * 1024));
      const answer = await Promise.race([
        raw.response,
        working.then(() => new Promise<undefined>((r) => setTimeout(r, 500, undefined))),
      ]);
      if (answer) {
        refused = answer;
        // The connection stays open: the rest of the body is read and discarded, not reset.
        assert.ok(await raw.write(Buffer.alloc(declared - 64 * 1024)), "the rest was accepted");
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(raw.isClosed(), false, "the connection is still open after the 503");
      }
      raw.destroy();
      assert.equal((await working).status, 200);
    }
    assert.ok(refused, "an upload head arriving while the worker was busy got an answer");
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal(JSON.parse(refused.body.toString()).error.code, "serviceNotAvailable");

    const none = await fetch(`http://127.0.0.1:${port}/v1.0/users/${refusedUser}/photo`, {
      headers: auth,
    });
    assert.equal(none.status, 404);
  });
});
