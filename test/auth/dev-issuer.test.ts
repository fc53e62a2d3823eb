import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeJwt, decodeProtectedHeader } from "jose";
import {
  DEV_APP_ID,
  DEV_AUDIENCE,
  DEV_ISSUER_FILE,
  devVerifierOptions,
  loadDevIssuer,
} from "../../src/auth/dev-issuer.ts";
import { createTokenVerifier } from "../../src/auth/verify-token.ts";
import { GraphError } from "../../src/errors.ts";

const PUBLIC_URL = "http://localhost:8080";
const USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10";
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "portrait-dev-issuer-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("loadDevIssuer", () => {
  test("creates the data dir and a private key file on first start", async () => {
    const dataDir = join(root, "fresh", "nested");
    const dev = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
    assert.equal(dev.file, join(dataDir, DEV_ISSUER_FILE));
    assert.equal((await stat(dev.file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dataDir), [DEV_ISSUER_FILE], "no temp file is left behind");
    assert.match(dev.tenantId, /^[0-9a-f-]{36}$/);
    assert.equal(dev.issuer, PUBLIC_URL);
    assert.equal(dev.audience, DEV_AUDIENCE);
    const [jwk] = dev.jwks.keys;
    assert.equal(dev.jwks.keys.length, 1);
    assert.equal(jwk?.alg, "ES256");
    assert.equal(jwk?.use, "sig");
    assert.equal(typeof jwk?.kid, "string");
    assert.equal(jwk?.d, undefined, "the public key set has no private part");
  });

  test("a later start loads the same key and tenant", async () => {
    const dataDir = join(root, "reload");
    const first = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
    const token = await first.mint({ user: USER, scopes: ["User.Read"] });
    const second = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
    assert.equal(second.tenantId, first.tenantId);
    assert.deepEqual(second.jwks, first.jwks);
    const principal = await createTokenVerifier(devVerifierOptions(second)).verify(token);
    assert.equal(principal.tenantId, first.tenantId);
  });

  test("two concurrent first starts end up with one key", async () => {
    const dataDir = join(root, "race");
    const [a, b] = await Promise.all([
      loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL }),
      loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL }),
    ]);
    assert.deepEqual(a.jwks, b.jwks);
    assert.equal(a.tenantId, b.tenantId);
  });

  test("a corrupt key file is reported, not replaced", async () => {
    const dataDir = join(root, "corrupt");
    const dev = await loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL });
    await writeFile(dev.file, "{ not json");
    await assert.rejects(loadDevIssuer({ dataDir, publicUrl: PUBLIC_URL }), /delete it/);
    assert.equal(await readFile(dev.file, "utf8"), "{ not json");
  });

  test("the discovery document points at the key set", async () => {
    const dev = await loadDevIssuer({ dataDir: join(root, "discovery"), publicUrl: PUBLIC_URL });
    const document = dev.discoveryDocument();
    assert.equal(document.issuer, PUBLIC_URL);
    assert.equal(document.jwks_uri, `${PUBLIC_URL}/.well-known/jwks.json`);
    assert.deepEqual(document.id_token_signing_alg_values_supported, ["ES256"]);
  });
});

describe("DevIssuer.mint", () => {
  test("a delegated token verifies to the user, scopes and admin role", async () => {
    const dev = await loadDevIssuer({ dataDir: join(root, "mint-user"), publicUrl: PUBLIC_URL });
    const token = await dev.mint({
      user: USER,
      scopes: ["User.ReadWrite", "ProfilePhoto.ReadWrite.All"],
      adminRoles: [GLOBAL_ADMIN],
    });
    const header = decodeProtectedHeader(token);
    assert.equal(header.typ, "JWT");
    assert.equal(header.kid, dev.jwks.keys[0]?.kid);
    const claims = decodeJwt(token);
    assert.equal(claims.scp, "User.ReadWrite ProfilePhoto.ReadWrite.All");
    assert.equal(claims.appid, DEV_APP_ID);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);

    const principal = await createTokenVerifier(devVerifierOptions(dev)).verify(token);
    assert.equal(principal.kind, "delegated");
    assert.equal(principal.userId, USER);
    assert.equal(principal.tenantId, dev.tenantId);
    assert.equal(principal.isAdmin, true);
    assert.deepEqual(
      principal.permissions,
      new Set(["User.ReadWrite", "ProfilePhoto.ReadWrite.All"]),
    );
  });

  test("an app token verifies to the app and its roles", async () => {
    const dev = await loadDevIssuer({ dataDir: join(root, "mint-app"), publicUrl: PUBLIC_URL });
    const token = await dev.mint({
      app: true,
      appId: "aaaaaaaa-0000-0000-0000-000000000001",
      roles: ["User.ReadWrite.All"],
      tenantId: "bbbbbbbb-0000-0000-0000-000000000002",
      lifetimeSeconds: 60,
    });
    const claims = decodeJwt(token);
    assert.equal(claims.idtyp, "app");
    assert.equal(claims.oid, undefined);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 60);
    const principal = await createTokenVerifier(devVerifierOptions(dev)).verify(token);
    assert.equal(principal.kind, "app");
    assert.equal(principal.appId, "aaaaaaaa-0000-0000-0000-000000000001");
    assert.equal(principal.tenantId, "bbbbbbbb-0000-0000-0000-000000000002");
    assert.deepEqual(principal.permissions, new Set(["User.ReadWrite.All"]));
  });

  test("a delegated token needs a user", async () => {
    const dev = await loadDevIssuer({ dataDir: join(root, "mint-nouser"), publicUrl: PUBLIC_URL });
    await assert.rejects(dev.mint({ scopes: ["User.Read"] }), /user/);
    await assert.rejects(dev.mint({ user: USER, lifetimeSeconds: 0 }), /lifetimeSeconds/);
  });

  test("tokens of another development issuer do not verify", async () => {
    const ours = await loadDevIssuer({ dataDir: join(root, "ours"), publicUrl: PUBLIC_URL });
    const theirs = await loadDevIssuer({ dataDir: join(root, "theirs"), publicUrl: PUBLIC_URL });
    const foreign = await theirs.mint({ user: USER, scopes: ["User.Read"] });
    await assert.rejects(
      createTokenVerifier(devVerifierOptions(ours)).verify(foreign),
      (error: unknown) =>
        error instanceof GraphError && error.code === "InvalidAuthenticationToken",
    );
  });
});
