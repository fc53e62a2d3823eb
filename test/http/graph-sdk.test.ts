/**
 * The official Graph JavaScript SDK (`@microsoft/microsoft-graph-client` v3) pointed at a
 * running Portrait with a custom `baseUrl`. The SDK attaches the token to a custom host only
 * when the URL is `https://` and the host is in `customHosts`, so Portrait serves HTTPS here with
 * a throwaway certificate. The SDK's default middleware chain is used as `Client.init` builds
 * it, except the last link: an HTTPS transport that trusts that one certificate.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  CustomAuthenticationProvider,
  GraphError,
  MiddlewareFactory,
  PageIterator,
  ResponseType,
} from "@microsoft/microsoft-graph-client";
import sharp from "sharp";
import { createHttpsTransport, type HttpsTransport } from "../helpers/https-transport.ts";
import { makeJpeg } from "../helpers/images.ts";
import { freePort } from "../helpers/portrait-process.ts";
import {
  createSelfSignedCert,
  opensslAvailable,
  type SelfSignedCert,
} from "../helpers/self-signed-cert.ts";
import { startService, type TestService } from "../helpers/service.ts";

const HOST = "127.0.0.1";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GRAPH_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

interface SdkUser {
  id: string;
  userPrincipalName: string;
}

interface SdkPhoto {
  "@odata.mediaEtag": string;
  "@odata.mediaContentType": string;
  id: string;
  width: number;
  height: number;
}

function listeningPort(service: TestService): number {
  return (service.app.server.address() as AddressInfo).port;
}

/** Asserts `error` is the SDK's GraphError with this status and code; returns it. */
function graphError(error: unknown, statusCode: number, code: string): GraphError {
  assert.ok(error instanceof GraphError, `expected a GraphError, got ${String(error)}`);
  assert.equal(error.statusCode, statusCode);
  assert.equal(error.code, code);
  return error;
}

describe("Graph JavaScript SDK v3 over HTTPS", {
  skip: opensslAvailable() ? false : "needs the openssl binary for a test certificate",
}, () => {
  let cert: SelfSignedCert;
  let service: TestService;
  let baseUrl: string;
  let userId: string;

  before(async () => {
    cert = await createSelfSignedCert();
    // The public URL is where the SDK calls, so that it can follow `@odata.nextLink`.
    const port = await freePort();
    baseUrl = `https://${HOST}:${port}`;
    service = await startService({
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
      PUBLIC_URL: baseUrl,
    });
    await service.app.listen({ host: HOST, port });
  });

  after(async () => {
    await service?.close();
    await cert?.remove();
  });

  /** A client as `Client.init` makes it, with the test transport as the last link. */
  const sdk = (token: string): { client: Client; transport: HttpsTransport } => {
    const transport = createHttpsTransport(cert.cert);
    const chain = MiddlewareFactory.getDefaultMiddlewareChain(
      new CustomAuthenticationProvider((done) => done(null, token)),
    );
    chain.splice(chain.length - 1, 1, transport);
    const client = Client.initWithMiddleware({
      middleware: chain,
      baseUrl,
      defaultVersion: "v1.0",
      customHosts: new Set([HOST]),
    });
    return { client, transport };
  };

  const asUser = async (scopes = ["User.ReadWrite"]) =>
    sdk(await service.userToken(userId, scopes));
  const asApp = async () => sdk(await service.appToken());

  test("POST /users creates a user, with the token the SDK attached", async () => {
    const token = await service.appToken();
    const { client, transport } = sdk(token);
    const created: SdkUser = await client.api("/users").post({
      displayName: "Ada Lovelace",
      userPrincipalName: "ada@portrait.test",
      mailNickname: "ada",
      accountEnabled: true,
    });
    assert.match(created.id, UUID);
    assert.equal(created.userPrincipalName, "ada@portrait.test");
    assert.equal(transport.sent[0]?.url, `${baseUrl}/v1.0/users`);
    assert.equal(transport.sent[0]?.headers.get("authorization"), `Bearer ${token}`);
    userId = created.id;
  });

  test("PUT /me/photo/$value without a content type (sent as application/json) stores the photo", async () => {
    const { client, transport } = await asUser();
    await client.api("/me/photo/$value").put(await makeJpeg(300, 200));
    assert.equal(transport.sent[0]?.headers.get("content-type"), "application/json");

    const photo: SdkPhoto = await client.api("/me/photo").get();
    assert.equal(photo.id, "120X120");
  });

  test("PUT /me/photo/$value with Content-Type image/jpeg replaces the photo", async () => {
    const { client } = await asUser();
    const before: SdkPhoto = await client.api("/me/photo").get();
    await client
      .api("/me/photo/$value")
      .header("Content-Type", "image/jpeg")
      .put(await makeJpeg(240, 240));
    const after: SdkPhoto = await client.api("/me/photo").get();
    assert.equal(after.id, "240X240");
    assert.notEqual(after["@odata.mediaEtag"], before["@odata.mediaEtag"]);
  });

  test("GET /me/photo is the largest size's metadata; its mediaEtag is the ETag of $value", async () => {
    const { client } = await asUser();
    const photo: SdkPhoto = await client.api("/me/photo").get();
    assert.equal(photo.id, "240X240");
    assert.equal(photo.width, 240);
    assert.equal(photo.height, 240);
    assert.equal(photo["@odata.mediaContentType"], "image/jpeg");
    assert.match(photo["@odata.mediaEtag"], /^"[^"]+"$/);

    const raw: Response = await client.api("/me/photo/$value").responseType(ResponseType.RAW).get();
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("etag"), photo["@odata.mediaEtag"]);
  });

  test("GET /me/photo/$value comes back from the SDK as an image/jpeg Blob", async () => {
    const { client } = await asUser();
    const blob: Blob = await client.api("/me/photo/$value").get();
    assert.ok(blob instanceof Blob);
    assert.equal(blob.type, "image/jpeg");
    const meta = await sharp(Buffer.from(await blob.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 240, 240]);
  });

  test("GET /users/{id}/photos/48x48/$value as an ArrayBuffer is a 48x48 JPEG", async () => {
    const { client } = await asUser();
    const bytes: ArrayBuffer = await client
      .api(`/users/${userId}/photos/48x48/$value`)
      .responseType(ResponseType.ARRAYBUFFER)
      .get();
    assert.ok(bytes instanceof ArrayBuffer);
    const meta = await sharp(Buffer.from(bytes)).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 48, 48]);
  });

  test("GET /me/photos lists every available size, smallest first", async () => {
    const { client } = await asUser();
    const list: { value: SdkPhoto[] } = await client.api("/me/photos").get();
    assert.deepEqual(
      list.value.map((photo) => photo.id),
      ["48X48", "64X64", "96X96", "120X120", "240X240"],
    );
    for (const photo of list.value) assert.equal(photo.width, photo.height);
  });

  test("DELETE /users/{id}/photo/$value (app token), then GET rejects with ImageNotFound", async () => {
    const { client, transport } = await asApp();
    const deleted: unknown = await client.api(`/users/${userId}/photo/$value`).delete();
    assert.equal(deleted, undefined);

    const error = await client
      .api(`/users/${userId}/photo`)
      .get()
      .catch((e: unknown) => e);
    const notFound = graphError(error, 404, "ImageNotFound");
    assert.equal(notFound.message, "The photo wasn't found.");

    // What the SDK maps from innerError: requestId and date.
    assert.match(notFound.requestId ?? "", UUID);
    assert.equal(notFound.requestId, notFound.headers?.get("request-id"));
    assert.ok(!Number.isNaN(notFound.date.getTime()));
    const inner = JSON.parse(notFound.body as string).innerError;
    assert.match(inner.date, GRAPH_DATE);
    // The SDK sends its own client-request-id; Portrait echoes it.
    const sentId = transport.sent.at(-1)?.headers.get("client-request-id");
    assert.ok(sentId);
    assert.equal(inner["client-request-id"], sentId);
  });

  test("a bad token surfaces as GraphError InvalidAuthenticationToken (401)", async () => {
    const { client } = sdk("not-a-token");
    const error = await client
      .api("/me/photo")
      .get()
      .catch((e: unknown) => e);
    const unauthorized = graphError(error, 401, "InvalidAuthenticationToken");
    assert.match(unauthorized.requestId ?? "", UUID);
    assert.match(unauthorized.headers?.get("www-authenticate") ?? "", /^Bearer /);
  });

  test("a token without the permission surfaces as GraphError ErrorAccessDenied (403)", async () => {
    const { client } = await asUser(["User.Read"]);
    const error = await client
      .api("/me/photo/$value")
      .header("Content-Type", "image/jpeg")
      .put(await makeJpeg(64, 64))
      .catch((e: unknown) => e);
    graphError(error, 403, "ErrorAccessDenied");
    // Nothing was written: the photo is still gone.
    const after = await client
      .api("/me/photo")
      .get()
      .catch((e: unknown) => e);
    graphError(after, 404, "ImageNotFound");
  });

  test("BatchRequestContent: reads of a photo in one $batch, read by BatchResponseContent", async () => {
    const { client } = await asUser();
    await client
      .api("/me/photo/$value")
      .header("Content-Type", "image/jpeg")
      .put(await makeJpeg(500, 500));
    // Node's Request needs an absolute URL; the SDK sends its path (with the version) in the batch.
    const batch = new BatchRequestContent([
      { id: "small", request: new Request(`${baseUrl}/v1.0/me/photos/48x48/$value`) },
      { id: "largest", request: new Request(`${baseUrl}/v1.0/me/photo`) },
      { id: "missing", request: new Request(`${baseUrl}/v1.0/me/photos/648x648`) },
    ]);
    const answer = new BatchResponseContent(
      await client.api("/$batch").post(await batch.getContent()),
    );
    const small = answer.getResponseById("small");
    assert.equal(small.status, 200);
    assert.equal(small.headers.get("Content-Type"), "image/jpeg");
    // Graph sends photo bytes in a batch as base64, which the SDK hands over as text.
    const bytes = Buffer.from(await small.text(), "base64");
    const { width, height, format } = await sharp(bytes).metadata();
    assert.deepEqual([width, height, format], [48, 48, "jpeg"]);
    const meta = await client.api("/me/photos/48x48").get();
    assert.equal(small.headers.get("ETag"), meta["@odata.mediaEtag"]);
    const largest = (await answer.getResponseById("largest").json()) as SdkPhoto;
    assert.equal(largest.width, 432);
    const missing = answer.getResponseById("missing");
    assert.equal(missing.status, 404);
    assert.equal(
      ((await missing.json()) as { error: { code: string } }).error.code,
      "ImageNotFound",
    );
  });

  test("the SDK's PageIterator follows @odata.nextLink through every page of users", async () => {
    const { client } = await asApp();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const user: SdkUser = await client
        .api("/users")
        .post({ displayName: `Paged ${i}`, userPrincipalName: `paged-${i}@portrait.test` });
      made.push(user.id);
    }
    const first = await client.api("/users").top(2).select("id,displayName").get();
    assert.equal(first.value.length, 2);
    assert.match(first["@odata.nextLink"], /^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\?/);
    const seen: { id: string; displayName: string }[] = [];
    const iterator = new PageIterator(
      client,
      first,
      (user: { id: string; displayName: string }) => {
        seen.push(user);
        return true;
      },
    );
    await iterator.iterate();
    const all: { value: SdkUser[] } = await client.api("/users").top(999).get();
    assert.deepEqual(
      seen.map((user) => user.id),
      all.value.map((user) => user.id),
    );
    for (const id of made) assert.ok(seen.some((user) => user.id === id));
    for (const user of seen) assert.deepEqual(Object.keys(user).sort(), ["displayName", "id"]);
  });
});

describe("Graph JavaScript SDK v3 with its own fetch, over plain HTTP", () => {
  let service: TestService;

  before(async () => {
    service = await startService();
    await service.app.listen({ host: HOST, port: 0 });
  });

  after(async () => {
    await service?.close();
  });

  test("the SDK withholds the token from an http:// custom host; Portrait answers 401", async () => {
    const token = await service.appToken();
    const client = Client.init({
      authProvider: (done) => done(null, token),
      baseUrl: `http://${HOST}:${listeningPort(service)}`,
      defaultVersion: "v1.0",
      customHosts: new Set([HOST]),
    });
    const error = await client
      .api("/users")
      .get()
      .catch((e: unknown) => e);
    const unauthorized = graphError(error, 401, "InvalidAuthenticationToken");
    assert.match(unauthorized.requestId ?? "", UUID);
  });
});
