/**
 * JSON batching (`POST /$batch`): requests answered as if sent alone with the batch's token,
 * `dependsOn` ordering and 424 for dependents of a failed request, photo bytes in base64 both
 * ways, and malformed batches refused whole.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

interface BatchAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** The body of an answer that must be there. */
function bodyOf<T>(answer: BatchAnswer | undefined): T {
  assert.ok(answer, "no such answer");
  return answer.body as T;
}

describe("POST /$batch", () => {
  let service: TestService;
  let app: string;
  let userId: string;

  before(async () => {
    service = await startService();
    app = await service.appToken();
    userId = await service.createUser("batch@contoso.com");
  });
  after(() => service.close());

  const batch = (body: unknown, token = app, version = "v1.0") =>
    service.app.inject({
      method: "POST",
      url: `/${version}/$batch`,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      // A string is sent as it is: JSON that JSON.stringify could not make.
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });

  /** The answers of a batch that must itself succeed, by id. */
  const answers = async (requests: unknown[], token = app) => {
    const response = await batch({ requests }, token);
    assert.equal(response.statusCode, 200, response.body);
    const { responses } = response.json() as { responses: BatchAnswer[] };
    assert.equal(responses.length, requests.length);
    return new Map(responses.map((answer) => [answer.id, answer]));
  };

  test("upload, then read the photo in the same batch: base64 both ways", async () => {
    const jpeg = await makeJpeg(300, 200);
    const byId = await answers([
      {
        id: "put",
        method: "PUT",
        url: `/users/${userId}/photo/$value`,
        headers: { "Content-Type": "image/jpeg" },
        body: jpeg.toString("base64"),
      },
      {
        id: "small",
        method: "GET",
        url: `/users/${userId}/photos/48x48/$value`,
        dependsOn: ["put"],
      },
      { id: "meta", method: "GET", url: `users/${userId}/photo?$select=width`, dependsOn: ["PUT"] },
    ]);
    assert.equal(byId.get("put")?.status, 200);
    const small = byId.get("small");
    assert.equal(small?.status, 200);
    assert.equal(small?.headers["Content-Type"], "image/jpeg");
    const direct = await service.app.inject({
      method: "GET",
      url: `/v1.0/users/${userId}/photos/48x48/$value`,
      headers: { authorization: `Bearer ${app}` },
    });
    assert.equal(small?.headers.ETag, direct.headers.etag);
    const bytes = Buffer.from(String(small?.body), "base64");
    assert.ok(bytes.equals(direct.rawPayload));
    const { width, height, format } = await sharp(bytes).metadata();
    assert.deepEqual([width, height, format], [48, 48, "jpeg"]);
    const meta = byId.get("meta");
    assert.equal(meta?.status, 200);
    assert.match(meta?.headers["Content-Type"] ?? "", /^application\/json/);
    assert.equal(bodyOf<{ width: number }>(meta).width, 120);
  });

  test("each request is answered as alone: errors inside, 424 for what depended on them", async () => {
    const other = await service.createUser("other-batch@contoso.com");
    const token = await service.userToken(userId, ["User.Read"]);
    const byId = await answers(
      [
        { id: "mine", method: "GET", url: "/me/photo" },
        { id: "theirs", method: "GET", url: `/users/${other}/photo` },
        { id: "after", method: "GET", url: "/me", dependsOn: ["theirs"] },
        { id: "none", method: "GET", url: "/me/photos/999x999" },
      ],
      token,
    );
    assert.equal(byId.get("mine")?.status, 200);
    assert.equal(byId.get("theirs")?.status, 403);
    const denied = byId.get("theirs")?.body as { error: { code: string } };
    assert.equal(denied.error.code, "ErrorAccessDenied");
    assert.equal(byId.get("none")?.status, 404);
    const after = byId.get("after");
    assert.equal(after?.status, 424);
    assert.equal(bodyOf<{ error: { code: string } }>(after).error.code, "FailedDependency");
  });

  test("a request's own Authorization header is ignored: the batch's token decides", async () => {
    const byId = await answers([
      {
        id: "1",
        method: "GET",
        url: `/users/${userId}`,
        headers: { Authorization: "Bearer forged" },
      },
    ]);
    assert.equal(byId.get("1")?.status, 200);
    const reader = await service.userToken(userId, ["User.Read"]);
    const refused = await answers(
      [{ id: "1", method: "GET", url: "/users", headers: { authorization: `Bearer ${app}` } }],
      reader,
    );
    assert.equal(refused.get("1")?.status, 403);
  });

  test("a batch without a valid token is refused whole with 401", async () => {
    const response = await batch({ requests: [{ id: "1", method: "GET", url: "/me" }] }, "nope");
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error.code, "InvalidAuthenticationToken");
  });

  test("malformed batches: 400 BadRequest, nothing run", async () => {
    const get = (id: string, extra: object = {}) => ({ id, method: "GET", url: "/me", ...extra });
    const upload = {
      id: "u",
      method: "PUT",
      url: `/users/${userId}/photo/$value`,
      body: "AAAA",
    };
    for (const [what, body] of [
      ["no requests", {}],
      ["requests not a list", { requests: {} }],
      ["no request", { requests: [] }],
      ["21 requests", { requests: Array.from({ length: 21 }, (_, i) => get(String(i))) }],
      ["ids that differ only in case", { requests: [get("a"), get("A")] }],
      ["no id", { requests: [{ method: "GET", url: "/me" }] }],
      ["an unknown method", { requests: [get("1", { method: "TRACE" })] }],
      ["an absolute URL", { requests: [get("1", { url: "https://graph.microsoft.com/v1.0/me" })] }],
      ["a parent segment", { requests: [get("1", { url: "/users/../healthz" })] }],
      ["a batch in a batch", { requests: [get("1", { method: "POST", url: "/$batch" })] }],
      [
        "a batch in a batch, spelled otherwise",
        { requests: [get("1", { url: "/beta/%24batch" })] },
      ],
      ...["/$batch#x", "/$bat\tch", "/v1.0/users/%2e%2e/$batch", "/beta/$batch/"].map(
        (url): [string, object] => [
          `a batch in a batch as ${JSON.stringify(url)}`,
          { requests: [get("1", { url })] },
        ],
      ),
      [
        "a JSON body nested deeper than the stack",
        `{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"content-type":"application/json"},"body":${"[".repeat(20_000)}${"]".repeat(20_000)}}]}`,
      ],
      ["an unknown dependency", { requests: [get("1", { dependsOn: ["2"] })] }],
      ["a cycle", { requests: [get("1", { dependsOn: ["2"] }), get("2", { dependsOn: ["1"] })] }],
      ["a body without Content-Type", { requests: [upload] }],
      [
        "a photo body that is not base64",
        {
          requests: [{ ...upload, headers: { "Content-Type": "image/jpeg" }, body: "not base64!" }],
        },
      ],
      ["headers that are not strings", { requests: [get("1", { headers: { a: 1 } })] }],
    ] as const) {
      const response = await batch(body);
      assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
      assert.equal(response.json().error.code, "BadRequest", what);
      assert.match(response.json().error.message, /^Invalid batch payload: /, what);
    }
    // A valid DELETE beside a malformed request: refused whole, so the photo is still there.
    const deleteThenBad = await batch({
      requests: [
        { id: "d", method: "DELETE", url: `/users/${userId}/photo/$value` },
        get("x", { url: "http://elsewhere.test/me" }),
      ],
    });
    assert.equal(deleteThenBad.statusCode, 400);
    const photo = await service.app.inject({
      method: "GET",
      url: `/v1.0/users/${userId}/photo`,
      headers: { authorization: `Bearer ${app}` },
    });
    assert.equal(photo.statusCode, 200);
    assert.equal(photo.json().width, 120);
  });

  test("a request of a batch that would start while the service closes: 503 inside it", async () => {
    const closing = await startService();
    const token = await closing.appToken();
    const id = await closing.createUser("closing@contoso.com");
    const jpeg = await makeJpeg(4000, 3000);
    const pending = closing.app.inject({
      method: "POST",
      url: "/v1.0/$batch",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify({
        requests: [
          {
            id: "upload",
            method: "PUT",
            url: `/users/${id}/photo/$value`,
            headers: { "Content-Type": "image/jpeg" },
            body: jpeg.toString("base64"),
          },
          { id: "read", method: "GET", url: `/users/${id}/photo`, dependsOn: ["upload"] },
        ],
      }),
    });
    // Close once the upload is being processed, before the read that waits for it starts.
    for (;;) {
      const metrics = await closing.app.inject({ method: "GET", url: "/metrics" });
      if (/portrait_image_jobs\{state="active"\} [1-9]/.test(metrics.body)) break;
      await sleep(2);
    }
    const closed = closing.app.close();
    const response = await pending;
    await closed;
    assert.equal(response.statusCode, 200, response.body);
    const byId = new Map(
      (response.json() as { responses: BatchAnswer[] }).responses.map((a) => [a.id, a]),
    );
    assert.equal(byId.get("upload")?.status, 200);
    const read = byId.get("read");
    assert.equal(read?.status, 503);
    assert.equal(read?.headers["Retry-After"], "1");
    assert.equal(bodyOf<{ error: { code: string } }>(read).error.code, "serviceNotAvailable");
    await closing.close();
  });
});
