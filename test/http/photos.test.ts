/** The photo operations of contract section 2, for every kind of owner, through HTTP. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { PHOTO_SIZES } from "../../src/photos/sizes.ts";
import { makeJpeg, makePng } from "../helpers/images.ts";
import { startService, type TestService } from "../helpers/service.ts";

let service: TestService;
let aliceId: string;
let alice: Record<string, string>;
let app: Record<string, string>;

before(async () => {
  service = await startService();
  aliceId = await service.createUser("alice@contoso.com");
  alice = { authorization: `Bearer ${await service.userToken(aliceId, ["User.ReadWrite"])}` };
  app = { authorization: `Bearer ${await service.appToken()}` };
});
after(() => service.close());

const inject = (method: string, url: string, headers: Record<string, string>, payload?: Buffer) =>
  service.app.inject({ method: method as "GET", url, headers, ...(payload && { payload }) });

async function upload(url: string, headers: Record<string, string>, image: Buffer) {
  return inject("PUT", url, { ...headers, "content-type": "image/jpeg" }, image);
}

describe("upload", () => {
  test("PUT /me/photo/$value answers 200 with an empty body and no JSON content type", async () => {
    const response = await upload("/v1.0/me/photo/$value", alice, await makeJpeg(800, 600));
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, "");
    assert.equal(response.headers["content-type"], undefined);
  });

  test("PATCH works like PUT, under /beta too, whatever the declared content type", async () => {
    for (const contentType of ["application/json", "application/octet-stream", "text/plain"]) {
      const response = await inject(
        "PATCH",
        "/beta/me/photo/$value",
        { ...alice, "content-type": contentType },
        await makePng(300, 300),
      );
      assert.equal(response.statusCode, 200, contentType);
      const meta = await inject("GET", "/beta/me/photo", alice);
      assert.equal(meta.json().id, "240X240", contentType);
    }
  });

  test("an upload yields every size up to the shorter side, all square JPEGs", async () => {
    await upload("/v1.0/me/photo/$value", alice, await makeJpeg(700, 504));
    const list = await inject("GET", "/v1.0/me/photos", alice);
    assert.equal(list.statusCode, 200);
    const ids = list.json().value.map((size: { id: string }) => size.id);
    assert.deepEqual(
      ids,
      PHOTO_SIZES.filter((edge) => edge <= 504).map((edge) => `${edge}X${edge}`),
    );
    for (const edge of PHOTO_SIZES.filter((size) => size <= 504)) {
      const bytes = await inject("GET", `/v1.0/me/photos/${edge}x${edge}/$value`, alice);
      assert.equal(bytes.statusCode, 200);
      const meta = await sharp(bytes.rawPayload).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", edge, edge]);
    }
    const missing = await inject("GET", "/v1.0/me/photos/648x648/$value", alice);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, "ImageNotFound");
  });

  test("a new upload replaces every size: no size of the old photo survives", async () => {
    await upload("/v1.0/me/photo/$value", alice, await makeJpeg(1000, 1000));
    assert.equal((await inject("GET", "/v1.0/me/photos", alice)).json().value.length, 9);
    await upload("/v1.0/me/photo/$value", alice, await makeJpeg(90, 90));
    const ids = (await inject("GET", "/v1.0/me/photos", alice))
      .json()
      .value.map((size: { id: string }) => size.id);
    assert.deepEqual(ids, ["48X48", "64X64"]);
  });
});

describe("reading", () => {
  before(async () => {
    await upload("/v1.0/me/photo/$value", alice, await makeJpeg(900, 700));
  });

  test("GET photo is the metadata of the largest size, in Graph's shape", async () => {
    const response = await inject("GET", "/v1.0/me/photo", alice);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(
      body["@odata.context"],
      `http://portrait.test/v1.0/$metadata#users('${aliceId}')/photo/$entity`,
    );
    assert.equal(body["@odata.mediaContentType"], "image/jpeg");
    assert.match(body["@odata.mediaEtag"], /^"[^"]+"$/);
    assert.deepEqual([body.id, body.width, body.height], ["648X648", 648, 648]);
  });

  test("@odata.mediaEtag equals the ETag of the matching $value, for every size", async () => {
    const sizes = (await inject("GET", "/v1.0/me/photos", alice)).json().value;
    for (const size of sizes) {
      const bytes = await inject("GET", `/v1.0/me/photos/${size.id}/$value`, alice);
      assert.equal(bytes.headers.etag, size["@odata.mediaEtag"]);
    }
    const largest = await inject("GET", "/v1.0/me/photo/$value", alice);
    const meta = (await inject("GET", "/v1.0/me/photo", alice)).json();
    assert.equal(largest.headers.etag, meta["@odata.mediaEtag"]);
  });

  test("$value carries the headers of the contract", async () => {
    const response = await inject("GET", "/v1.0/me/photo/$value", alice);
    assert.equal(response.headers["content-type"], "image/jpeg");
    assert.equal(Number(response.headers["content-length"]), response.rawPayload.length);
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.match(String(response.headers["cache-control"]), /private/);
    assert.match(String(response.headers["cache-control"]), /no-cache/);
    assert.ok(response.headers["request-id"]);
  });

  test("If-None-Match with the current ETag answers 304 without a body", async () => {
    const first = await inject("GET", "/v1.0/me/photos/48x48/$value", alice);
    const etag = String(first.headers.etag);
    const again = await inject("GET", "/v1.0/me/photos/48x48/$value", {
      ...alice,
      "if-none-match": etag,
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.rawPayload.length, 0);
    const stale = await inject("GET", "/v1.0/me/photos/48x48/$value", {
      ...alice,
      "if-none-match": '"something-else"',
    });
    assert.equal(stale.statusCode, 200);
  });

  test("ETag changes when the photo changes", async () => {
    const before = (await inject("GET", "/v1.0/me/photo", alice)).json()["@odata.mediaEtag"];
    await upload("/v1.0/me/photo/$value", alice, await makePng(700, 700));
    const afterUpload = (await inject("GET", "/v1.0/me/photo", alice)).json()["@odata.mediaEtag"];
    assert.notEqual(afterUpload, before);
  });

  test("URLs are case-insensitive and accept a percent-encoded $value and $select", async () => {
    const response = await inject("GET", "/V1.0/ME/Photos/48X48/%24VALUE", alice);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "image/jpeg");
    const selected = await inject("GET", "/v1.0/me/photo?%24select=width,height", alice);
    assert.deepEqual(Object.keys(selected.json()).sort(), [
      "@odata.context",
      "@odata.mediaContentType",
      "@odata.mediaEtag",
      "height",
      "width",
    ]);
  });

  test("HEAD of $value answers the headers of GET without the body", async () => {
    const response = await inject("HEAD", "/v1.0/me/photo/$value", alice);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "image/jpeg");
    assert.equal(response.rawPayload.length, 0);
  });

  test("users are found by id and by userPrincipalName in any case", async () => {
    for (const key of [aliceId, "alice@contoso.com", "ALICE%40Contoso.com"]) {
      const response = await inject("GET", `/v1.0/users/${key}/photos/48x48/$value`, app);
      assert.equal(response.statusCode, 200, key);
    }
  });
});

describe("deleting", () => {
  test("DELETE photo/$value removes every size; later reads are ImageNotFound", async () => {
    const userId = await service.createUser("delete.me@contoso.com");
    await upload(`/v1.0/users/${userId}/photo/$value`, app, await makeJpeg(300, 300));
    const response = await inject("DELETE", `/v1.0/users/${userId}/photo/$value`, app);
    assert.equal(response.statusCode, 204);
    for (const url of ["photo", "photo/$value", "photos/48x48/$value"]) {
      const read = await inject("GET", `/v1.0/users/${userId}/${url}`, app);
      assert.equal(read.statusCode, 404, url);
      assert.equal(read.json().error.code, "ImageNotFound");
    }
    assert.equal((await inject("GET", `/v1.0/users/${userId}/photos`, app)).statusCode, 404);
  });

  test("concurrent uploads with the same If-Match: one wins, the others get 412", async () => {
    const userId = await service.createUser("if.match@contoso.com");
    const url = `/v1.0/users/${userId}/photo/$value`;
    await upload(url, app, await makeJpeg(300, 300));
    const read = await inject("GET", `/v1.0/users/${userId}/photo`, app);
    const ifMatch = { ...app, "if-match": read.json()["@odata.mediaEtag"] };
    const images = await Promise.all([200, 220, 240, 260].map((edge) => makeJpeg(edge, edge)));
    const answers = await Promise.all(images.map((image) => upload(url, ifMatch, image)));
    const codes = answers.map((answer) => answer.statusCode);
    assert.deepEqual([...codes].sort(), [200, 412, 412, 412], codes.join(" "));
    // The photo is the winner's: its largest size is the winner's edge.
    const winner = [200, 220, 240, 260][codes.indexOf(200)] ?? 0;
    const largest = PHOTO_SIZES.filter((edge) => edge <= winner).at(-1);
    const now = await inject("GET", `/v1.0/users/${userId}/photo`, app);
    assert.equal(now.json().width, largest);
    const deletes = await Promise.all([1, 2].map(() => inject("DELETE", url, ifMatch)));
    assert.deepEqual(
      deletes.map((answer) => answer.statusCode),
      [412, 412],
    );
  });
});

describe("groups, teams and contacts", () => {
  let groupId: string;
  before(async () => {
    const created = await service.app.inject({
      method: "POST",
      url: "/v1.0/groups",
      headers: app,
      payload: { displayName: "Sales", mailNickname: "sales" },
    });
    groupId = created.json().id;
  });

  test("a group has photo, photos and delete", async () => {
    const put = await upload(`/v1.0/groups/${groupId}/photo/$value`, app, await makeJpeg(500, 400));
    assert.equal(put.statusCode, 200);
    const list = await inject("GET", `/v1.0/groups/${groupId}/photos`, app);
    assert.equal(list.json().value.length, 6);
    assert.equal(
      list.json()["@odata.context"],
      `http://portrait.test/v1.0/$metadata#groups('${groupId}')/photos`,
    );
    const del = await inject("DELETE", `/v1.0/groups/${groupId}/photo/$value`, app);
    assert.equal(del.statusCode, 204);
  });

  test("a team shows its group's photo; PUT answers 204; DELETE is 405; photos is 400", async () => {
    const put = await upload(`/v1.0/teams/${groupId}/photo/$value`, app, await makeJpeg(200, 200));
    assert.equal(put.statusCode, 204);
    const viaGroup = await inject("GET", `/v1.0/groups/${groupId}/photo/$value`, app);
    const viaTeam = await inject("GET", `/v1.0/teams/${groupId}/photo/$value`, app);
    assert.equal(viaGroup.statusCode, 200);
    assert.equal(viaTeam.headers.etag, viaGroup.headers.etag);
    assert.equal(
      (await inject("DELETE", `/v1.0/teams/${groupId}/photo/$value`, app)).statusCode,
      405,
    );
    const photos = await inject("GET", `/v1.0/teams/${groupId}/photos`, app);
    assert.equal(photos.statusCode, 400);
    assert.equal(photos.json().error.message, "Unsupported segment type.");
  });

  test("contacts have photo and photo/$value, not photos and not delete", async () => {
    const contacts = {
      authorization: `Bearer ${await service.userToken(aliceId, ["Contacts.ReadWrite"])}`,
    };
    const folder = await service.app.inject({
      method: "POST",
      url: "/v1.0/me/contactFolders",
      headers: contacts,
      payload: { displayName: "Friends" },
    });
    const folderId = folder.json().id;
    const contact = await service.app.inject({
      method: "POST",
      url: `/v1.0/me/contactFolders/${folderId}/contacts`,
      headers: contacts,
      payload: { givenName: "Bob", displayName: "Bob" },
    });
    const contactId = contact.json().id;
    const urls = [
      `/v1.0/me/contacts/${contactId}`,
      `/v1.0/users/${aliceId}/contacts/${contactId}`,
      `/v1.0/me/contactFolders/${folderId}/contacts/${contactId}`,
      `/v1.0/users/alice@contoso.com/contactFolders/${folderId}/contacts/${contactId}`,
    ];
    const put = await upload(`${urls[0]}/photo/$value`, contacts, await makeJpeg(120, 100));
    assert.equal(put.statusCode, 200);
    for (const url of urls) {
      const meta = await inject("GET", `${url}/photo`, contacts);
      assert.equal(meta.statusCode, 200, url);
      assert.equal(meta.json().id, "96X96");
      assert.equal((await inject("GET", `${url}/photo/$value`, contacts)).statusCode, 200);
      assert.equal((await inject("GET", `${url}/photos`, contacts)).statusCode, 400);
      assert.equal((await inject("DELETE", `${url}/photo/$value`, contacts)).statusCode, 405);
    }
  });
});
