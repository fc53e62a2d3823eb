/** The public operational endpoints: liveness, readiness and the Prometheus metrics. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
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
async function samples(): Promise<Map<string, number>> {
  const response = await service.app.inject({ method: "GET", url: "/metrics" });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const found = new Map<string, number>();
  for (const line of response.body.split("\n")) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match?.[1] && match[2]) found.set(match[1], Number(match[2]));
  }
  return found;
}

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
