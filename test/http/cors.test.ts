/**
 * Cross-origin requests from browser apps, as Graph allows them: preflights answered without a
 * token, and every answer to a request with an `Origin` readable by that origin, errors too.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

const ORIGIN = "http://localhost:3000";

describe("cross-origin requests", () => {
  let service: TestService;
  let userId: string;
  let token: string;

  before(async () => {
    service = await startService();
    userId = await service.createUser("browser@contoso.com");
    token = await service.userToken(userId, ["User.ReadWrite"]);
  });
  after(() => service.close());

  const preflight = (url: string, method: string, requestHeaders?: string) =>
    service.app.inject({
      method: "OPTIONS",
      url,
      headers: {
        origin: ORIGIN,
        "access-control-request-method": method,
        ...(requestHeaders !== undefined && { "access-control-request-headers": requestHeaders }),
      },
    });

  test("a preflight gets 204 without a token, for photo and directory URLs alike", async () => {
    for (const [url, method] of [
      ["/v1.0/me/photo/$value", "PUT"],
      ["/v1.0/users/browser@contoso.com/photos/48x48/$value", "GET"],
      ["/beta/me/photo", "GET"],
      ["/v1.0/users", "POST"],
      ["/v1.0/me/contacts", "GET"],
    ] as const) {
      const response = await preflight(
        url,
        method,
        "authorization, content-type, client-request-id",
      );
      assert.equal(response.statusCode, 204, `${method} ${url}: ${response.body}`);
      assert.equal(response.headers["access-control-allow-origin"], "*");
      assert.ok(
        String(response.headers["access-control-allow-methods"]).split(", ").includes(method),
      );
      assert.equal(
        response.headers["access-control-allow-headers"],
        "authorization, content-type, client-request-id",
      );
      assert.equal(response.body, "");
    }
  });

  test("a preflight asking for a malformed header list is allowed only Authorization", async () => {
    const response = await preflight("/v1.0/me/photo", "GET", "authorization, <script>");
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers["access-control-allow-headers"], "authorization");
  });

  test("answers to a request with an Origin, errors too, are readable by it", async () => {
    const headers = { origin: ORIGIN, authorization: `Bearer ${token}` };
    const put = await service.app.inject({
      method: "PUT",
      url: "/v1.0/me/photo/$value",
      headers: { ...headers, "content-type": "image/jpeg" },
      payload: await makeJpeg(120, 120),
    });
    assert.equal(put.statusCode, 200, put.body);
    for (const [url, requestHeaders, status] of [
      ["/v1.0/me/photo/$value", headers, 200],
      ["/v1.0/me/photo", headers, 200],
      ["/v1.0/me/photos/999x999", headers, 404],
      ["/v1.0/me/photos/huge", headers, 400],
      ["/v1.0/users/nobody@contoso.com/photo", headers, 403],
      ["/v1.0/me/photo", { origin: ORIGIN }, 401],
    ] as const) {
      const response = await service.app.inject({ method: "GET", url, headers: requestHeaders });
      assert.equal(response.statusCode, status, `${url}: ${response.body}`);
      assert.equal(response.headers["access-control-allow-origin"], "*", url);
      const exposed = String(response.headers["access-control-expose-headers"]).split(", ");
      for (const name of ["request-id", "client-request-id", "etag", "www-authenticate"]) {
        assert.ok(exposed.includes(name), `${url} exposes ${name}`);
      }
    }
  });

  test("without an Origin nothing changes: no CORS headers, and OPTIONS is no preflight", async () => {
    const response = await service.app.inject({
      method: "GET",
      url: "/v1.0/me/photo",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["access-control-allow-origin"], undefined);
    const options = await service.app.inject({ method: "OPTIONS", url: "/v1.0/me/photo" });
    assert.equal(options.statusCode, 401);
    const notPreflight = await service.app.inject({
      method: "OPTIONS",
      url: "/v1.0/me/photo",
      headers: { origin: ORIGIN },
    });
    assert.equal(notPreflight.statusCode, 401);
    assert.equal(notPreflight.headers["access-control-allow-origin"], "*");
  });
});
