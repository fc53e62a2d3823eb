/**
 * The photo read fast path (`src/http/fast-read.ts`) on a real socket, held to the Fastify route:
 * each request is sent as clients send it (which the fast path may answer) and in a form it always
 * hands to Fastify (`%24value` for `$value`, a query string for metadata), and both answers must
 * carry the same status, headers and body. The metrics' fast-path counter says which path
 * answered.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { type Answer, fastResponses, get, listening, putPhoto } from "../helpers/fast-read.ts";
import { makeJpeg } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Headers whose values differ between any two responses. */
const PER_RESPONSE = new Set(["date", "request-id", "client-request-id"]);

/** `path` with a query parameter that photo URLs ignore and the fast path does not take. */
function viaFastify(path: string): string {
  return `${path}?via=fastify`;
}

/** An error body without its `innerError` (the date and request ids of that response). */
function errorOf(body: Buffer): unknown {
  const { innerError, ...error } = JSON.parse(body.toString("utf8")).error;
  assert.equal(typeof innerError?.date, "string");
  return error;
}

/** The same answer apart from what is new in every response. */
function assertSameAnswer(fast: Answer, routed: Answer, what: string): void {
  assert.equal(fast.status, routed.status, what);
  const stable = (answer: Answer) =>
    Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_RESPONSE.has(name)));
  assert.deepEqual(stable(fast), stable(routed), what);
  if (fast.status >= 400) assert.deepEqual(errorOf(fast.body), errorOf(routed.body), what);
  else assert.ok(fast.body.equals(routed.body), `${what}: same body`);
  for (const answer of [fast, routed]) {
    assert.match(answer.headers["request-id"] ?? "", UUID, what);
    assert.ok(answer.headers.date, what);
  }
}

describe("the photo read fast path", () => {
  let service: TestService;
  let base: string;
  let appToken: string;
  let userId: string;
  let withoutPhoto: string;

  before(async () => {
    // An idle timeout other than Node's default, to see that the server carries it.
    service = await startService({ KEEP_ALIVE_TIMEOUT_MS: "7000" });
    base = await listening(service);
    appToken = await service.appToken();
    userId = await service.createUser("fast@contoso.com");
    withoutPhoto = await service.createUser("nophoto@contoso.com");
    await putPhoto(service, userId, appToken, await makeJpeg(700, 500));
    // The token is verified once, by Fastify; from then on it is known.
    assert.equal(
      (await get(base, "/v1.0/me/photo", { authorization: `Bearer ${appToken}` })).status,
      400,
    );
  });
  after(() => service.close());

  /** Sends `path` in both forms; asserts equal answers and which path answered the first. */
  const compare = async (
    path: string,
    headers: Record<string, string>,
    expected: { status: number; fast: boolean },
  ): Promise<Answer> => {
    const before = await fastResponses(service);
    const fast = await get(base, path, headers);
    const afterFast = await fastResponses(service);
    const other = path.endsWith("/$value")
      ? path.replace("/$value", "/%24value")
      : viaFastify(path);
    const routed = await get(base, other, headers);
    assert.equal(await fastResponses(service), afterFast, `${path}: ${other} goes to Fastify`);
    assert.equal(fast.status, expected.status, `${path}: ${fast.body.toString()}`);
    assert.equal(afterFast - before, expected.fast ? 1 : 0, `${path}: answered by the fast path`);
    assertSameAnswer(fast, routed, path);
    return fast;
  };

  const auth = () => ({ authorization: `Bearer ${appToken}` });

  test("every size, under both versions, by id and by userPrincipalName", async () => {
    for (const path of [
      `/v1.0/users/${userId}/photo/$value`,
      `/beta/users/${userId}/photo/$value`,
      `/v1.0/users/${userId}/photos/48x48/$value`,
      `/v1.0/users/${userId}/photos/432x432/$value`,
      `/beta/users/${userId}/photos/240x240/$value`,
      `/v1.0/users/${userId.toUpperCase()}/photos/96x96/$value`,
      "/v1.0/users/fast@contoso.com/photos/64x64/$value",
    ]) {
      const answer = await compare(path, auth(), { status: 200, fast: true });
      assert.equal(answer.headers["content-type"], "image/jpeg");
      assert.equal(answer.headers["keep-alive"], "timeout=7");
    }
  });

  test("metadata: the largest size, one size and the collection, by id and by /me", async () => {
    // Answered by the fast path only where the store reads without a promise (SQLite).
    const fast = service.store.getPhotoSizeListSync !== undefined;
    const token = await service.userToken(userId, ["User.Read"]);
    await get(base, "/v1.0/me/photo", { authorization: `Bearer ${token}` });
    for (const [path, headers] of [
      [`/v1.0/users/${userId}/photo`, auth()],
      [`/beta/users/${userId.toUpperCase()}/photos/240x240`, auth()],
      [`/v1.0/users/${userId}/photos/48X48`, auth()],
      [`/v1.0/users/${userId}/photos`, auth()],
      ["/v1.0/me/photo", { authorization: `Bearer ${token}` }],
      ["/beta/me/photos", { authorization: `Bearer ${token}` }],
      ["/v1.0/me/photos/96x96", { authorization: `Bearer ${token}` }],
    ] as const) {
      const answer = await compare(path, headers, { status: 200, fast });
      assert.equal(answer.headers["content-type"], "application/json; charset=utf-8");
      const entity = JSON.parse(answer.body.toString("utf8"));
      assert.match(entity["@odata.context"], /\/\$metadata#users\('[0-9a-fA-F-]{36}'\)\/photo/);
    }
    // Sizes the photo does not have, and the userPrincipalName key: Fastify's, as before.
    await compare(`/v1.0/users/${userId}/photos/648x648`, auth(), { status: 404, fast: false });
    await compare(`/v1.0/users/${withoutPhoto}/photos`, auth(), { status: 404, fast: false });
    await compare(`/v1.0/users/${withoutPhoto}/photo`, auth(), { status: 404, fast: false });
    await compare("/v1.0/users/fast@contoso.com/photo", auth(), { status: 200, fast: false });
  });

  test("cross-origin requests: the same CORS headers on both paths", async () => {
    const origin = { ...auth(), origin: "https://app.contoso.test" };
    for (const path of [
      `/v1.0/users/${userId}/photos/48x48/$value`,
      `/v1.0/users/${userId}/photo/$value`,
    ]) {
      const answer = await compare(path, origin, { status: 200, fast: true });
      assert.equal(answer.headers["access-control-allow-origin"], "*");
      assert.match(answer.headers["access-control-expose-headers"] ?? "", /\betag\b/);
    }
    const plain = await compare(`/v1.0/users/${userId}/photo/$value`, auth(), {
      status: 200,
      fast: true,
    });
    assert.equal(plain.headers["access-control-allow-origin"], undefined);
  });

  test("/me with a delegated token", async () => {
    const token = await service.userToken(userId, ["User.Read"]);
    const headers = { authorization: `Bearer ${token}` };
    // First use: verified by Fastify, so not answered fast.
    await compare("/v1.0/me/photos/120x120/$value", headers, { status: 200, fast: false });
    await compare("/v1.0/me/photos/120x120/$value", headers, { status: 200, fast: true });
    await compare("/v1.0/me/photo/$value", headers, { status: 200, fast: true });
  });

  test("client-request-id: a sane one is echoed, any other is replaced by the request id", async () => {
    const path = `/v1.0/users/${userId}/photos/48x48/$value`;
    const echoed = await compare(
      path,
      { ...auth(), "client-request-id": "picker-7" },
      {
        status: 200,
        fast: true,
      },
    );
    assert.equal(echoed.headers["client-request-id"], "picker-7");
    const replaced = await compare(
      path,
      { ...auth(), "client-request-id": "no spaces allowed" },
      {
        status: 200,
        fast: true,
      },
    );
    assert.equal(replaced.headers["client-request-id"], replaced.headers["request-id"]);
  });

  test("If-None-Match: 304 for the current tag (also weak or in a list), 200 for another", async () => {
    const path = `/v1.0/users/${userId}/photos/48x48/$value`;
    const tag = (await compare(path, auth(), { status: 200, fast: true })).headers.etag ?? "";
    const largest = `/v1.0/users/${userId}/photo/$value`;
    const largestTag = (await get(base, largest, auth())).headers.etag ?? "";
    assert.match(tag, /^"[^"]+"$/);
    assert.notEqual(tag, largestTag, "each size has its own tag");
    for (const ifNoneMatch of [tag, `W/${tag}`, `"other", ${tag}`, "*"]) {
      const answer = await compare(
        path,
        { ...auth(), "if-none-match": ifNoneMatch },
        {
          status: 304,
          fast: true,
        },
      );
      assert.equal(answer.body.length, 0);
    }
    await compare(path, { ...auth(), "if-none-match": '"other"' }, { status: 200, fast: true });
    // Another size's tag does not match this size.
    await compare(path, { ...auth(), "if-none-match": largestTag }, { status: 200, fast: true });
  });

  test("errors are Fastify's: no photo, no such user or size, bad size, no permission", async () => {
    await compare(`/v1.0/users/${withoutPhoto}/photo/$value`, auth(), { status: 404, fast: false });
    await compare(`/v1.0/users/${crypto.randomUUID()}/photo/$value`, auth(), {
      status: 404,
      fast: false,
    });
    await compare("/v1.0/users/nobody@contoso.com/photo/$value", auth(), {
      status: 404,
      fast: false,
    });
    await compare(`/v1.0/users/${userId}/photos/49x49/$value`, auth(), {
      status: 404,
      fast: false,
    });
    await compare(`/v1.0/users/${userId}/photos/big/$value`, auth(), { status: 400, fast: false });
    // A known token without a role that reads photos.
    const powerless = await service.appToken([]);
    const headers = { authorization: `Bearer ${powerless}` };
    await compare(`/v1.0/users/${userId}/photo/$value`, headers, { status: 403, fast: false });
    await compare(`/v1.0/users/${userId}/photo/$value`, headers, { status: 403, fast: false });
    // An app token has no /me.
    await compare("/v1.0/me/photo/$value", auth(), { status: 400, fast: false });
  });

  test("what it leaves to Fastify: unknown tokens, HEAD, query strings, other URLs", async () => {
    const path = `/v1.0/users/${userId}/photos/48x48/$value`;
    const forged = `${appToken.slice(0, -4)}AAAA`;
    await compare(path, { authorization: `Bearer ${forged}` }, { status: 401, fast: false });
    // The known token's signature under another payload: not the token that was verified.
    const [head64, payload64, signature] = appToken.split(".");
    const claims = JSON.parse(Buffer.from(payload64 ?? "", "base64url").toString("utf8"));
    const altered = Buffer.from(JSON.stringify({ ...claims, roles: ["User.ReadWrite.All", "x"] }));
    const spliced = `${head64}.${altered.toString("base64url")}.${signature}`;
    await compare(path, { authorization: `Bearer ${spliced}` }, { status: 401, fast: false });
    await compare(path, {}, { status: 401, fast: false });
    await compare(`${path}?size=1`, auth(), { status: 200, fast: false });
    // The router is case-insensitive; the fast path takes only the lower case clients send.
    await compare(`/V1.0/Users/${userId}/photos/48x48/$value`, auth(), {
      status: 200,
      fast: false,
    });
    // A size label is read the same by both paths, in either case: the fast path takes 48X48.
    await compare(`/v1.0/users/${userId}/photos/48X48/$value`, auth(), { status: 200, fast: true });

    const counted = await fastResponses(service);
    const head = await fetch(`${base}${path}`, { method: "HEAD", headers: auth() });
    assert.equal(head.status, 200);
    const selected = `${base}/v1.0/users/${userId}/photo?$select=id`;
    const metadata = await fetch(selected, { headers: auth() });
    assert.equal(metadata.status, 200);
    const photoValue = await fetch(`${base}/v1.0/users/${userId}/photos/$value`, {
      headers: auth(),
    });
    assert.equal(photoValue.status, 400);
    assert.equal(await fastResponses(service), counted);
  });

  test("any mix of version, user key, size, suffix, token and If-None-Match: both paths agree", async () => {
    const user = await service.userToken(userId, ["User.Read"]);
    const powerless = await service.appToken([]);
    const etag48 = (await get(base, `/v1.0/users/${userId}/photos/48x48/$value`, auth())).headers
      .etag;
    const url = fc
      .tuple(
        fc.constantFrom("v1.0", "beta", "V1.0", "v2.0"),
        fc.oneof(
          fc.constant("me"),
          fc.constantFrom(userId, userId.toUpperCase(), withoutPhoto, "fast@contoso.com"),
          fc.constantFrom(crypto.randomUUID(), "FAST@CONTOSO.COM", "o'brien@contoso.com"),
          fc.stringMatching(/^[A-Za-z0-9@._'~-]{1,12}$/),
          fc.constantFrom("x".repeat(101), "x".repeat(512), "x".repeat(513), "%zz", "a%40b"),
        ),
        fc.constantFrom(
          "photo",
          "photos",
          "Photo",
          "photos/48x48",
          "photos/648X648",
          "photos/49x49",
          "photos/0x0",
          "photos/abc",
          "photos/99999x99999",
          "photo/48x48",
        ),
        fc.constantFrom("/$value", "", "/$VALUE", "/$value/", "/value"),
      )
      .map(
        ([version, owner, photo, suffix]) =>
          `/${version}/${owner === "me" ? "me" : `users/${owner}`}/${photo}${suffix}`,
      );
    const headers = fc
      .tuple(
        fc.constantFrom(appToken, user, powerless),
        fc.constantFrom(undefined, etag48 ?? "", `W/${etag48}`, "*", '"other"'),
      )
      .map(([token, ifNoneMatch]) => ({
        authorization: `Bearer ${token}`,
        ...(ifNoneMatch !== undefined && { "if-none-match": ifNoneMatch }),
      }));
    await fc.assert(
      fc.asyncProperty(url, headers, async (path, sent) => {
        const fast = await get(base, path, sent);
        const routed = await get(base, viaFastify(path), sent);
        assertSameAnswer(fast, routed, `${path} ${JSON.stringify(sent)}`);
      }),
      { numRuns: 150 },
    );
    assert.ok((await fastResponses(service)) > 0);
  });

  test("a replaced photo is served new at once", async () => {
    const path = `/v1.0/users/${userId}/photo/$value`;
    const fast = service.store.getPhotoSizeListSync !== undefined;
    const listing = `/v1.0/users/${userId}/photos`;
    const listed = await compare(listing, auth(), { status: 200, fast });
    const before = await compare(path, auth(), { status: 200, fast: true });
    await putPhoto(service, userId, appToken, await makeJpeg(300, 300));
    const replaced = await compare(path, auth(), { status: 200, fast: true });
    assert.notEqual(replaced.headers.etag, before.headers.etag);
    // The listing too: 700x500 had seven sizes, 300x300 has five.
    const relisted = await compare(listing, auth(), { status: 200, fast });
    assert.equal(JSON.parse(listed.body.toString("utf8")).value.length, 7);
    assert.equal(JSON.parse(relisted.body.toString("utf8")).value.length, 5);
    const metadata = await service.app.inject({
      method: "GET",
      url: `/v1.0/users/${userId}/photo`,
      headers: auth(),
    });
    assert.equal(replaced.headers.etag, metadata.json()["@odata.mediaEtag"]);
  });
});
