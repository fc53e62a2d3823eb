/**
 * Overload on a real socket: with one image worker and one waiting place, a burst of uploads is
 * partly refused with 503 serviceNotAvailable and Retry-After, while GETs of a stored photo made
 * at the same time all succeed; after the burst, uploads work again.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { makeJpeg } from "../helpers/images.ts";
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
