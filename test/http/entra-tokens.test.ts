/**
 * Tokens shaped as Microsoft Entra ID issues them, against Portrait configured for an external
 * issuer (`AUTH_ISSUER`, `AUTH_AUDIENCE`, `AUTH_JWKS_FILE`): the production wiring, through HTTP.
 * Entra's app-only tokens carry the service principal's `oid` and `sub` and, unless the app asks
 * for the optional `idtyp` claim, nothing else that says "app" but the absence of `scp`.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.ts";
import { type Assembly, assemble } from "../../src/assemble.ts";
import { loadConfig } from "../../src/config.ts";
import {
  AUDIENCE,
  appClaims,
  delegatedClaims,
  ISSUER,
  makeKey,
  sign,
  type TestKey,
} from "../auth/support.ts";
import { dropSchema, freshSchemaName } from "../helpers/postgres.ts";

const SERVICE_PRINCIPAL = "6f1c1d52-93a5-4a43-9d0b-2b1e4f0c7a11";
const PEOPLE_ADMIN = "024906de-61e5-49c8-8572-40335f1e0e10";

let key: TestKey;
let dir: string;
let assembly: Assembly;
let app: FastifyInstance;
const schema = process.env.PORTRAIT_TEST_DATABASE_URL ? freshSchemaName() : undefined;

before(async () => {
  key = await makeKey("RS256", "entra-key");
  dir = await mkdtemp(join(tmpdir(), "portrait-entra-"));
  const jwks = join(dir, "jwks.json");
  await writeFile(jwks, JSON.stringify({ keys: [key.jwk] }));
  const config = loadConfig({
    DATA_DIR: join(dir, "data"),
    LOG_LEVEL: "silent",
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_JWKS_FILE: jwks,
    ...(schema && { DATABASE_URL: process.env.PORTRAIT_TEST_DATABASE_URL, PG_SCHEMA: schema }),
  });
  assembly = await assemble(config);
  app = await buildApp(assembly.parts);
});

after(async () => {
  await app?.close();
  await assembly?.close();
  if (schema) await dropSchema(schema);
  await rm(dir, { recursive: true, force: true });
});

/** An app-only token as Entra issues it by default: `oid` and `sub`, `roles`, no `scp`, no `idtyp`. */
const entraAppToken = (roles: string[]) =>
  sign(key, appClaims({ idtyp: undefined, oid: SERVICE_PRINCIPAL, sub: SERVICE_PRINCIPAL, roles }));

async function createUser(upn: string): Promise<string> {
  const response = await app.inject({
    method: "POST",
    url: "/v1.0/users",
    headers: { authorization: `Bearer ${await entraAppToken(["User.ReadWrite.All"])}` },
    payload: { displayName: upn.split("@")[0], userPrincipalName: upn },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id as string;
}

const get = async (url: string, token: string) =>
  app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });

describe("tokens shaped as Entra ID issues them", () => {
  test("an app-only token without idtyp acts with its roles, and has no /me", async () => {
    await createUser("ada@contoso.test");
    const reader = await entraAppToken(["User.Read.All"]);
    const user = await get("/v1.0/users/ada@contoso.test", reader);
    assert.equal(user.statusCode, 200, user.body);
    const photo = await get("/v1.0/users/ada@contoso.test/photo", reader);
    assert.equal(photo.json().error.code, "ImageNotFound", "allowed to look, no photo yet");

    const me = await get("/v1.0/me/photo", reader);
    assert.equal(me.statusCode, 400);
    assert.equal(
      me.json().error.message,
      "/me request is only valid with delegated authentication flow.",
    );
  });

  test("a token with scp is delegated, with or without idtyp", async () => {
    const id = await createUser("bo@contoso.test");
    for (const idtyp of [undefined, "user"]) {
      const token = await sign(
        key,
        delegatedClaims({ oid: id, scp: "User.Read", idtyp, wids: undefined }),
      );
      const me = await get("/v1.0/me", token);
      assert.equal(me.statusCode, 200, `idtyp ${idtyp}: ${me.body}`);
      assert.equal(me.json().id, id);
    }
  });

  test("People Administrator, like Global and User Administrator, may write other users' photos", async () => {
    const admin = await createUser("cy@contoso.test");
    await createUser("dee@contoso.test");
    const put = async (wids: string[]) => {
      const token = await sign(
        key,
        delegatedClaims({ oid: admin, scp: "ProfilePhoto.ReadWrite.All", wids }),
      );
      // An empty body: the permission is decided before the body is looked at.
      const response = await app.inject({
        method: "PUT",
        url: "/v1.0/users/dee@contoso.test/photo/$value",
        headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
        payload: Buffer.alloc(0),
      });
      return response.json().error.code as string;
    };
    assert.equal(await put([]), "ErrorAccessDenied");
    assert.equal(await put([PEOPLE_ADMIN]), "InvalidImage");
  });
});
