/** The public operational endpoints: liveness, readiness and the Prometheus metrics. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fastResponses, get, listening, putPhoto } from "../helpers/fast-read.ts";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

let service: TestService;
let auth: { authorization: string };

before(async () => {
  service = await startService();
  auth = { authorization: `Bearer ${await service.appToken()}` };
});
after(() => service.close());

/** Every sample of the metrics text, by its name and labels as written. */
async function samplesOf(of: TestService): Promise<Map<string, number>> {
  const response = await of.app.inject({ method: "GET", url: "/metrics" });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const found = new Map<string, number>();
  for (const line of response.body.split("\n")) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match?.[1] && match[2]) found.set(match[1], Number(match[2]));
  }
  return found;
}

const samples = () => samplesOf(service);

test("/healthz and /readyz answer without a token", async () => {
  const live = await service.app.inject({ method: "GET", url: "/healthz" });
  assert.equal(live.statusCode, 200);
  assert.deepEqual(live.json(), { status: "ok" });
  const ready = await service.app.inject({ method: "GET", url: "/readyz" });
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().status, "ready");
});

test("/metrics counts responses by method and status", async () => {
  const userId = await service.createUser("counted@contoso.com");
  const photo = `/v1.0/users/${userId}/photo/$value`;
  const put = await service.app.inject({
    method: "PUT",
    url: photo,
    headers: { ...auth, "content-type": "image/jpeg" },
    payload: await makeJpeg(200, 200),
  });
  assert.equal(put.statusCode, 200);

  const first = await samples();
  const statuses = [
    (await service.app.inject({ method: "GET", url: photo, headers: auth })).statusCode,
    (await service.app.inject({ method: "GET", url: photo, headers: auth })).statusCode,
    (await service.app.inject({ method: "GET", url: "/v1.0/users/nobody/photo", headers: auth }))
      .statusCode,
    (await service.app.inject({ method: "PUT", url: photo })).statusCode,
  ];
  assert.deepEqual(statuses, [200, 200, 404, 401]);
  const second = await samples();

  const delta = (name: string) => (second.get(name) ?? 0) - (first.get(name) ?? 0);
  // The first /metrics response is counted once it is sent, so it is in the second reading.
  assert.equal(delta('portrait_http_responses_total{method="GET",status="200"}'), 3);
  assert.equal(delta('portrait_http_responses_total{method="GET",status="404"}'), 1);
  assert.equal(delta('portrait_http_responses_total{method="PUT",status="401"}'), 1);
  assert.equal(second.get('portrait_http_responses_total{method="PUT",status="200"}'), 1);
  assert.equal(delta("portrait_http_response_seconds_count"), 5);
  assert.ok(delta("portrait_http_response_seconds_sum") > 0);
  assert.equal(second.get('portrait_image_jobs{state="active"}'), 0);
  assert.ok((second.get("portrait_process_resident_bytes") ?? 0) > 0);
});

test("/metrics shows the photo byte cache: a size's first answer misses, the next ones hit", async () => {
  const cached = await startService({ PHOTO_CACHE_MB: "1" });
  const off = await startService({ PHOTO_CACHE_MB: "0" });
  try {
    const base = await listening(cached);
    const token = await cached.appToken();
    const headers = { authorization: `Bearer ${token}` };
    const userId = await cached.createUser("cached@contoso.com");
    await putPhoto(cached, userId, token, await makeJpeg(300, 300));
    const before = await samplesOf(cached);
    const fastBefore = await fastResponses(cached);

    // The fast path (a real socket, a known token) answers 48x48; the route answers the largest.
    const small = `/v1.0/users/${userId}/photos/48x48/$value`;
    const smallAnswers = [];
    for (let i = 0; i < 3; i++) smallAnswers.push(await get(base, small, headers));
    const large = `/v1.0/users/${userId}/photo/$value`;
    const largeAnswers = [];
    for (let i = 0; i < 2; i++) {
      largeAnswers.push(await cached.app.inject({ method: "GET", url: large, headers }));
    }
    assert.deepEqual(
      [...smallAnswers, ...largeAnswers].map((answer) =>
        "status" in answer ? answer.status : answer.statusCode,
      ),
      [200, 200, 200, 200, 200],
    );
    assert.equal(await fastResponses(cached), fastBefore + 3, "the fast path answered 48x48");
    const after = await samplesOf(cached);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    assert.equal(delta('portrait_photo_cache_answers_total{result="miss"}'), 2);
    assert.equal(delta('portrait_photo_cache_answers_total{result="hit"}'), 3);
    assert.equal(after.get("portrait_photo_cache_entries"), 2);
    assert.equal(
      after.get("portrait_photo_cache_bytes"),
      (smallAnswers[0]?.body.length ?? 0) + (largeAnswers[0]?.rawPayload.length ?? 0),
    );
    assert.equal(after.get("portrait_photo_cache_limit_bytes"), 1024 * 1024);

    // With the cache off, every answer reads the store and nothing is counted as cached.
    const offToken = await off.appToken();
    const offUser = await off.createUser("uncached@contoso.com");
    await putPhoto(off, offUser, offToken, await makeJpeg(300, 300));
    for (let i = 0; i < 2; i++) {
      const answer = await off.app.inject({
        method: "GET",
        url: `/v1.0/users/${offUser}/photo/$value`,
        headers: { authorization: `Bearer ${offToken}` },
      });
      assert.equal(answer.statusCode, 200);
    }
    const offSamples = await samplesOf(off);
    assert.equal(offSamples.get('portrait_photo_cache_answers_total{result="hit"}'), 0);
    assert.equal(offSamples.get('portrait_photo_cache_answers_total{result="miss"}'), 0);
    assert.equal(offSamples.get("portrait_photo_cache_limit_bytes"), 0);
  } finally {
    await cached.close();
    await off.close();
  }
});
