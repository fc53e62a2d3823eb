/**
 * Every row of the contract's error table (section 4): the bad request gets its status and
 * Graph-shaped code, and nothing stored changes.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { importJWK, type JWK, SignJWT } from "jose";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

const IMAGES = new URL("../../../shared/images/", import.meta.url);

let service: TestService;
let userId: string;
let owner: Record<string, string>;
let admin: Record<string, string>;
let photoEtag: string;

before(async () => {
  service = await startService();
  userId = await service.createUser("erin@contoso.com");
  owner = { authorization: `Bearer ${await service.userToken(userId, ["User.ReadWrite"])}` };
  admin = { authorization: `Bearer ${await service.appToken()}` };
  const put = await service.app.inject({
    method: "PUT",
    url: "/v1.0/me/photo/$value",
    headers: owner,
    payload: await makeJpeg(400, 300),
  });
  assert.equal(put.statusCode, 200);
  photoEtag = String((await get("/v1.0/me/photos/48x48/$value", owner)).headers.etag);
});
after(() => service.close());

function get(url: string, headers: Record<string, string>) {
  return service.app.inject({ method: "GET", url, headers });
}

function put(url: string, headers: Record<string, string>, payload: Buffer | string) {
  return service.app.inject({ method: "PUT", url, headers, payload });
}

/** Asserts Graph's error shape with this status and code; returns the body. */
function assertGraphError(response: Awaited<ReturnType<typeof get>>, status: number, code: string) {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json();
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  const inner = body.error.innerError;
  assert.match(inner.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.equal(inner["request-id"], response.headers["request-id"]);
  assert.equal(inner["client-request-id"], response.headers["client-request-id"]);
  return body.error as { code: string; message: string };
}

/** The photo of the test user is exactly what it was before the bad request. */
async function assertPhotoUnchanged() {
  const response = await get("/v1.0/me/photos/48x48/$value", owner);
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers.etag, photoEtag);
  const sizes = (await get("/v1.0/me/photos", owner)).json().value;
  assert.equal(sizes.length, 5);
}

async function signed(claims: Record<string, unknown>, options: { iss?: string; aud?: string }) {
  const stored = JSON.parse(await readFile(service.issuer.file, "utf8")) as { privateKey: JWK };
  const key = await importJWK({ ...stored.privateKey, alg: "ES256" }, "ES256");
  const kid = service.issuer.jwks.keys[0]?.kid ?? "";
  const now = Math.floor(Date.now() / 1000);
  const payload = { tid: service.issuer.tenantId, oid: userId, scp: "User.ReadWrite" };
  return new SignJWT({ ...payload, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
    .setIssuer(options.iss ?? service.issuer.issuer)
    .setAudience(options.aud ?? service.issuer.audience)
    .setIssuedAt(now - 3600)
    .sign(key);
}

describe("401 InvalidAuthenticationToken", () => {
  test("no, malformed, expired, foreign, wrong-issuer and wrong-audience tokens", async () => {
    const other = await startService();
    const foreign = await other.issuer.mint({ user: userId, scopes: ["User.ReadWrite"] });
    await other.close();
    const cases: Record<string, Record<string, string>> = {
      none: {},
      "wrong scheme": { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      malformed: { authorization: "Bearer not.a.token" },
      "signed by another issuer's key": { authorization: `Bearer ${foreign}` },
      "wrong issuer": {
        authorization: `Bearer ${await signed({}, { iss: "https://evil.example" })}`,
      },
      "wrong audience": {
        authorization: `Bearer ${await signed({}, { aud: "api://something-else" })}`,
      },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const response = await put("/v1.0/me/photo/$value", headers, await makeJpeg(100, 100));
      assertGraphError(response, 401, "InvalidAuthenticationToken");
      assert.match(String(response.headers["www-authenticate"]), /^Bearer /, name);
    }
    // Expired a minute and a half beyond the 30 s clock tolerance; the same token unexpired works.
    const stale = await signed({ exp: Math.floor(Date.now() / 1000) - 120 }, {});
    const response = await get("/v1.0/me/photo", { authorization: `Bearer ${stale}` });
    assertGraphError(response, 401, "InvalidAuthenticationToken");
    const fresh = await signed({}, {});
    assert.equal(
      (await get("/v1.0/me/photo", { authorization: `Bearer ${fresh}` })).statusCode,
      200,
    );
    await assertPhotoUnchanged();
  });
});

describe("401 for a token already accepted once", () => {
  test("other header spellings of it work; the token amid junk does not", async () => {
    const token = await signed({}, {});
    assert.equal(
      (await get("/v1.0/me/photo", { authorization: `Bearer ${token}` })).statusCode,
      200,
    );
    for (const header of [`bearer ${token}`, `Bearer   ${token}`, `BEARER\t${token} `]) {
      assert.equal(
        (await get("/v1.0/me/photo", { authorization: header })).statusCode,
        200,
        header,
      );
    }
    for (const header of [
      `Bearer ${token}, ${token}`,
      `Bearer ${token} extra`,
      `Bearer ${token}x`,
      `Basic ${token}`,
      `Bearer ${token}.`,
    ]) {
      const response = await get("/v1.0/me/photo", { authorization: header });
      assertGraphError(response, 401, "InvalidAuthenticationToken");
    }
  });
});

describe("4xx of the contract", () => {
  test("403 ErrorAccessDenied: the token lacks the permission", async () => {
    const readOnly = { authorization: `Bearer ${await service.userToken(userId, ["User.Read"])}` };
    const response = await put("/v1.0/me/photo/$value", readOnly, await makeJpeg(100, 100));
    assertGraphError(response, 403, "ErrorAccessDenied");
    await assertPhotoUnchanged();
  });

  test("400 BadRequest: /me with an application token", async () => {
    const error = assertGraphError(await get("/v1.0/me/photo", admin), 400, "BadRequest");
    assert.equal(error.message, "/me request is only valid with delegated authentication flow.");
  });

  test("404 Request_ResourceNotFound: unknown user or group", async () => {
    const error = assertGraphError(
      await get("/v1.0/users/nobody@contoso.com/photo", admin),
      404,
      "Request_ResourceNotFound",
    );
    assert.equal(
      error.message,
      "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
    const group = await get("/v1.0/groups/00000000-0000-0000-0000-000000000001/photo", admin);
    assertGraphError(group, 404, "Request_ResourceNotFound");
  });

  test("404 ErrorItemNotFound: unknown contact or contact folder", async () => {
    const id = "00000000-0000-0000-0000-00000000000c";
    assertGraphError(
      await get(`/v1.0/users/${userId}/contacts/${id}/photo`, admin),
      404,
      "ErrorItemNotFound",
    );
    const inFolder = `/v1.0/users/${userId}/contactFolders/${id}/contacts/${id}/photo`;
    assertGraphError(await get(inFolder, admin), 404, "ErrorItemNotFound");
  });

  test("404 ImageNotFound: no photo, or that size does not exist", async () => {
    const bare = await service.createUser("bare@contoso.com");
    assertGraphError(await get(`/v1.0/users/${bare}/photo`, admin), 404, "ImageNotFound");
    assertGraphError(await get(`/v1.0/users/${bare}/photo/$value`, admin), 404, "ImageNotFound");
    assertGraphError(await get("/v1.0/me/photos/648x648", owner), 404, "ImageNotFound");
    assertGraphError(await get("/v1.0/me/photos/50x50/$value", owner), 404, "ImageNotFound");
    // Well formed however long: a size that does not exist, not a malformed label.
    assertGraphError(await get("/v1.0/me/photos/999999x999999", owner), 404, "ImageNotFound");
    assertGraphError(
      await get(`/v1.0/me/photos/${"9".repeat(400)}x1`, owner),
      404,
      "ImageNotFound",
    );
  });

  test("400 BadRequest: bad URL, bad query, malformed size", async () => {
    assertGraphError(await get("/v1.0/me/photograph", owner), 400, "BadRequest");
    assertGraphError(await get("/v3/me/photo", owner), 400, "BadRequest");
    assertGraphError(await get("/v1.0/me/photo?$select=colour", owner), 400, "BadRequest");
    assertGraphError(await get("/v1.0/me/photo?$expand=x", owner), 400, "BadRequest");
    assertGraphError(await get("/v1.0/me/photos/big/$value", owner), 400, "BadRequest");
    // What the router cannot read: bad percent-encoding, a segment past 512 characters.
    assertGraphError(await get("/v1.0/users/%zz/photo/$value", owner), 400, "BadRequest");
    const overlong = `/v1.0/users/${"u".repeat(513)}/photo/$value`;
    assertGraphError(await get(overlong, owner), 400, "BadRequest");
    // A key of up to 512 characters is looked up like any other.
    const short = await get("/v1.0/users/uuu/photo/$value", owner);
    const long = await get(`/v1.0/users/${"u".repeat(512)}/photo/$value`, owner);
    assert.notEqual(short.statusCode, 400);
    assertGraphError(long, short.statusCode, short.json().error.code);
  });

  test("405 Request_BadRequest: method not allowed on that target", async () => {
    for (const [method, url] of [
      ["DELETE", "/v1.0/me/photo"],
      ["PATCH", "/v1.0/me/photo"],
      ["POST", "/v1.0/me/photo/$value"],
      ["PUT", "/v1.0/me/photos/48x48/$value"],
    ] as const) {
      const response = await service.app.inject({ method, url, headers: owner, payload: "x" });
      const error = assertGraphError(response, 405, "Request_BadRequest");
      assert.equal(error.message, "Specified HTTP method is not allowed for the request target.");
    }
    await assertPhotoUnchanged();
  });

  test("413 RequestEntityTooLarge: a body over 4 MB", async () => {
    const response = await put("/v1.0/me/photo/$value", owner, Buffer.alloc(4 * 1024 * 1024 + 1));
    const error = assertGraphError(response, 413, "RequestEntityTooLarge");
    assert.equal(error.message, "The request body is larger than 4194304 bytes.");
    // Each route names its own limit: a directory object is small JSON.
    const user = await service.app.inject({
      method: "POST",
      url: "/v1.0/users",
      headers: { ...admin, "content-type": "application/json" },
      payload: JSON.stringify({ displayName: "x".repeat(100_000) }),
    });
    const small = assertGraphError(user, 413, "RequestEntityTooLarge");
    assert.equal(small.message, "The request body is larger than 65536 bytes.");
    await assertPhotoUnchanged();
  });

  test("415 UnsupportedMediaType: a recognised image format that is not accepted", async () => {
    const heic = await readFile(new URL("other/IMG_5195.HEIC", IMAGES));
    const error = assertGraphError(
      await put("/v1.0/me/photo/$value", { ...owner, "content-type": "image/jpeg" }, heic),
      415,
      "UnsupportedMediaType",
    );
    assert.match(error.message, /HEIC/);
    const tiff = await readFile(new URL("other/BSG1.tiff", IMAGES));
    assertGraphError(await put("/v1.0/me/photo/$value", owner, tiff), 415, "UnsupportedMediaType");
    const svg =
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>';
    assertGraphError(await put("/v1.0/me/photo/$value", owner, svg), 415, "UnsupportedMediaType");
    await assertPhotoUnchanged();
  });

  test("400 InvalidImage: not an image, empty, truncated or corrupt", async () => {
    const jpeg = await makeJpeg(300, 300);
    const corrupted = await readFile(new URL("broken/corrupted.jpg", IMAGES));
    for (const body of [
      Buffer.from("hello, this is not an image"),
      Buffer.alloc(0),
      jpeg.subarray(0, jpeg.length / 2),
      corrupted,
    ]) {
      assertGraphError(await put("/v1.0/me/photo/$value", owner, body), 400, "InvalidImage");
    }
    await assertPhotoUnchanged();
  });

  test("400 ValidationWidthTooSmall / ValidationHeightTooSmall", async () => {
    const narrow = await put("/v1.0/me/photo/$value", owner, await makeJpeg(47, 300));
    assertGraphError(narrow, 400, "ValidationWidthTooSmall");
    const short = await put("/v1.0/me/photo/$value", owner, await makeJpeg(300, 47));
    assertGraphError(short, 400, "ValidationHeightTooSmall");
    await assertPhotoUnchanged();
  });

  test("400 ImageDimensionsTooLarge: the header declares more pixels than the limit", async () => {
    // A valid small JPEG whose frame header claims 20000 x 20000 (400 megapixels).
    const flood = Buffer.from(await makeJpeg(64, 64));
    const sof = flood.indexOf(Buffer.from([0xff, 0xc0]));
    flood.writeUInt16BE(20000, sof + 5);
    flood.writeUInt16BE(20000, sof + 7);
    const response = await put("/v1.0/me/photo/$value", owner, flood);
    assertGraphError(response, 400, "ImageDimensionsTooLarge");
    await assertPhotoUnchanged();
  });

  test("412 resourceModified: If-Match that does not match changes nothing", async () => {
    const stale = { ...owner, "if-match": '"not-the-current-etag"' };
    assertGraphError(
      await put("/v1.0/me/photo/$value", stale, await makeJpeg(200, 200)),
      412,
      "resourceModified",
    );
    const del = await service.app.inject({
      method: "DELETE",
      url: "/v1.0/me/photo/$value",
      headers: stale,
    });
    assertGraphError(del, 412, "resourceModified");
    await assertPhotoUnchanged();
    // The current ETag of any size matches.
    const current = await service.app.inject({
      method: "GET",
      url: "/v1.0/me/photo",
      headers: owner,
    });
    const ok = await put(
      "/v1.0/me/photo/$value",
      { ...owner, "if-match": current.json()["@odata.mediaEtag"] },
      await makeJpeg(400, 300),
    );
    assert.equal(ok.statusCode, 200);
    photoEtag = String((await get("/v1.0/me/photos/48x48/$value", owner)).headers.etag);
  });
});

describe("5xx", () => {
  test("503 serviceNotAvailable with Retry-After when image work is saturated", async () => {
    const busy = await startService({ IMAGE_CONCURRENCY: "1", IMAGE_QUEUE_LIMIT: "0" });
    try {
      const id = await busy.createUser("busy@contoso.com");
      const headers = { authorization: `Bearer ${await busy.userToken(id, ["User.ReadWrite"])}` };
      const image = await makeJpeg(2000, 2000);
      const responses = await Promise.all(
        [1, 2, 3].map(() =>
          busy.app.inject({ method: "PUT", url: "/v1.0/me/photo/$value", headers, payload: image }),
        ),
      );
      const refused = responses.filter((response) => response.statusCode === 503);
      assert.ok(refused.length >= 1, "at least one upload is refused while the worker is busy");
      assert.ok(responses.some((response) => response.statusCode === 200));
      for (const response of refused) {
        assertGraphError(response, 503, "serviceNotAvailable");
        assert.ok(Number(response.headers["retry-after"]) > 0);
      }
    } finally {
      await busy.close();
    }
  });

  test("500 generalException reveals no internals", async () => {
    const broken = await startService();
    try {
      broken.app.get("/v1.0/boom", async () => {
        throw new Error("secret internal detail at /srv/db");
      });
      const response = await broken.app.inject({ method: "GET", url: "/v1.0/boom" });
      const error = assertGraphError(response, 500, "generalException");
      assert.doesNotMatch(error.message, /secret|\/srv/);
    } finally {
      await broken.close();
    }
  });

  test("client-request-id is echoed in the header and the error body", async () => {
    const response = await service.app.inject({
      method: "GET",
      url: "/v1.0/me/photos/50x50",
      headers: { ...owner, "client-request-id": "my-trace-42" },
    });
    assert.equal(response.headers["client-request-id"], "my-trace-42");
    assert.equal(response.json().error.innerError["client-request-id"], "my-trace-42");
  });
});
