import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import { base64url, exportSPKI, importJWK, SignJWT, UnsecuredJWT } from "jose";
import { createLocalKeySource } from "../../src/auth/key-source.ts";
import {
  createTokenVerifier,
  type TokenVerifierOptions,
  toGraphError,
} from "../../src/auth/verify-token.ts";
import { GraphError } from "../../src/errors.ts";
import {
  APP,
  AUDIENCE,
  appClaims,
  delegatedClaims,
  ISSUER,
  makeKey,
  nowSeconds,
  sendJson,
  sign,
  startServer,
  TENANT,
  type TestKey,
} from "./support.ts";

let es: TestKey;
let rs: TestKey;
let ps: TestKey;
let stranger: TestKey;

before(async () => {
  [es, rs, ps, stranger] = await Promise.all([
    makeKey("ES256", "es-key"),
    makeKey("RS256", "rs-key"),
    makeKey("PS256", "ps-key"),
    makeKey("ES256", "stranger-key"),
  ]);
});

function verifier(overrides: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    keys: createLocalKeySource({ keys: [es.jwk, rs.jwk, ps.jwk] }),
    issuers: [ISSUER],
    audiences: [AUDIENCE],
    userClaim: "oid",
    clockToleranceSeconds: 0,
    ...overrides,
  });
}

async function assertUnauthorized(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GraphError, `expected a GraphError, got ${String(error)}`);
    assert.equal(error.code, "InvalidAuthenticationToken");
    assert.equal(error.status, 401);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe("createTokenVerifier: good tokens", () => {
  test("a delegated token gives a delegated principal", async () => {
    const claims = delegatedClaims();
    const principal = await verifier().verify(await sign(es, claims));
    assert.deepEqual(principal, {
      kind: "delegated",
      tenantId: TENANT,
      userId: "00000000-0000-0000-0000-00000000000a",
      appId: APP,
      permissions: new Set(["User.Read", "ProfilePhoto.ReadWrite.All"]),
      isAdmin: true,
      subject: "user:00000000-0000-0000-0000-00000000000a",
      expiresAt: claims.exp,
    });
  });

  test("an application token gives an app principal", async () => {
    const claims = appClaims();
    const principal = await verifier().verify(await sign(rs, claims));
    assert.equal(principal.kind, "app");
    assert.equal(principal.userId, undefined);
    assert.equal(principal.appId, APP);
    assert.deepEqual(
      principal.permissions,
      new Set(["User.Read.All", "ProfilePhoto.ReadWrite.All"]),
    );
    assert.equal(principal.subject, `app:${APP}`);
  });

  test("RS256, PS256 and ES256 are accepted; typ at+jwt and no typ are access tokens", async () => {
    const v = verifier();
    assert.equal((await v.verify(await sign(ps, delegatedClaims()))).kind, "delegated");
    const atJwt = await sign(es, delegatedClaims(), { typ: "at+jwt" });
    assert.equal((await v.verify(atJwt)).kind, "delegated");
    const noTyp = await sign(es, delegatedClaims(), { typ: undefined });
    assert.equal((await v.verify(noTyp)).kind, "delegated");
  });

  test("a token without kid is tried against every key that fits", async () => {
    const other = await makeKey("ES256", "unused");
    const noKid = { ...es.jwk, kid: undefined };
    const v = verifier({ keys: createLocalKeySource({ keys: [other.jwk, noKid] }) });
    const token = await sign(es, delegatedClaims(), { kid: undefined });
    assert.equal((await v.verify(token)).kind, "delegated");
    await assertUnauthorized(v.verify(await sign(stranger, delegatedClaims(), { kid: undefined })));
  });
});

describe("createTokenVerifier: refused tokens", () => {
  test("alg none", async () => {
    const unsecured = new UnsecuredJWT(delegatedClaims()).encode();
    await assertUnauthorized(verifier().verify(unsecured), /algorithm is not allowed/);
  });

  test("HS256 signed with the public key bytes as the secret", async () => {
    const pem = new TextEncoder().encode(await exportSPKI(await importPublic(rs)));
    const jwkBytes = new TextEncoder().encode(JSON.stringify(rs.jwk));
    for (const secret of [pem, jwkBytes]) {
      const token = await new SignJWT(delegatedClaims())
        .setProtectedHeader({ alg: "HS256", kid: rs.kid })
        .sign(secret);
      await assertUnauthorized(verifier().verify(token), /algorithm is not allowed/);
    }
  });

  test("a kid not in the key set", async () => {
    await assertUnauthorized(
      verifier().verify(await sign(stranger, delegatedClaims())),
      /not one of the trusted keys/,
    );
  });

  test("expired, not yet valid, and without exp", async () => {
    const now = nowSeconds();
    const v = verifier({ clockToleranceSeconds: 30 });
    const expired = await sign(es, delegatedClaims({ iat: now - 7200, exp: now - 31 }));
    await assertUnauthorized(v.verify(expired), /has expired/);
    const early = await sign(es, delegatedClaims({ nbf: now + 600 }));
    await assertUnauthorized(v.verify(early), /not yet valid/);
    const noExp = await sign(es, delegatedClaims({ exp: undefined }));
    await assertUnauthorized(v.verify(noExp), /expiry \(exp\)/);
    const withinTolerance = await sign(es, delegatedClaims({ exp: now - 5 }));
    assert.equal((await v.verify(withinTolerance)).kind, "delegated");
  });

  test("wrong issuer and wrong audience", async () => {
    const v = verifier();
    const iss = await sign(es, delegatedClaims({ iss: "https://evil.example/v2.0" }));
    await assertUnauthorized(v.verify(iss), /issuer is not trusted/);
    const aud = await sign(es, delegatedClaims({ aud: "api://someone-else" }));
    await assertUnauthorized(v.verify(aud), /audience is not accepted/);
  });

  test("a tampered payload", async () => {
    const [header, , signature] = (await sign(es, delegatedClaims())).split(".");
    const forged = base64url.encode(JSON.stringify(delegatedClaims({ oid: "someone-else" })));
    await assertUnauthorized(
      verifier().verify(`${header}.${forged}.${signature}`),
      /signature is invalid/,
    );
  });

  test("jku, x5u and jwk headers are never followed", async () => {
    const attackerJwks = { keys: [stranger.jwk] };
    const server = await startServer((_request, response) => sendJson(response, attackerJwks));
    try {
      const v = verifier();
      for (const kid of [stranger.kid, es.kid]) {
        const token = await sign(stranger, delegatedClaims(), {
          kid,
          jku: `${server.url}/jwks.json`,
          x5u: `${server.url}/cert.pem`,
          jwk: stranger.jwk,
        });
        await assertUnauthorized(v.verify(token));
      }
      assert.deepEqual(server.hits, []);
    } finally {
      await server.close();
    }
  });

  test("an ID token is not an access token", async () => {
    const v = verifier();
    const withNonce = await sign(es, delegatedClaims({ nonce: "n-0S6_WzA2Mj" }));
    await assertUnauthorized(v.verify(withNonce), /ID token/);
    const withAtHash = await sign(es, delegatedClaims({ at_hash: "77QmUPtjPfzWtF2AnpK9RQ" }));
    await assertUnauthorized(v.verify(withAtHash), /ID token/);
    const otherTyp = await sign(es, delegatedClaims(), { typ: "logout+jwt" });
    await assertUnauthorized(v.verify(otherTyp), /not an access token/);
  });

  test("a delegated token without the user claim", async () => {
    const token = await sign(es, delegatedClaims({ oid: undefined }));
    await assertUnauthorized(verifier().verify(token), /no user \(oid\)/);
  });

  test("any corruption of a good token is a 401 or the same caller, never another error", async () => {
    const v = verifier({ cacheMaxEntries: 0 });
    const token = await sign(es, delegatedClaims());
    const original = await v.verify(token);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    await fc.assert(
      fc.asyncProperty(
        fc.nat(token.length - 1),
        fc.constantFrom(...alphabet),
        fc.boolean(),
        async (index, char, insert) => {
          const mutated = token.slice(0, index) + char + token.slice(index + (insert ? 0 : 1));
          try {
            assert.deepEqual(await v.verify(mutated), original);
          } catch (error) {
            assert.ok(error instanceof GraphError, String(error));
            assert.equal(error.code, "InvalidAuthenticationToken");
          }
        },
      ),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        await assertUnauthorized(v.verify(text));
      }),
      { numRuns: 100 },
    );
  });
});

describe("toGraphError", () => {
  test("passes a GraphError through and turns an unknown failure into a 503", () => {
    const graph = new GraphError("InvalidAuthenticationToken", "x");
    assert.equal(toGraphError(graph), graph);
    const unknown = toGraphError(new TypeError("fetch failed"));
    assert.equal(unknown.code, "serviceNotAvailable");
    assert.equal(unknown.retryAfter, 5);
  });
});

async function importPublic(key: TestKey) {
  const imported = await importJWK(key.jwk, key.alg, { extractable: true });
  if (imported instanceof Uint8Array) throw new Error("expected a public key");
  return imported;
}
