import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { JWTVerifyGetKey } from "jose";
import { createLocalKeySource, type KeySource } from "../../src/auth/key-source.ts";
import { createTokenVerifier, type TokenVerifierOptions } from "../../src/auth/verify-token.ts";
import { GraphError } from "../../src/errors.ts";
import {
  AUDIENCE,
  delegatedClaims,
  ISSUER,
  makeKey,
  nowSeconds,
  sign,
  type TestKey,
} from "./support.ts";

let es: TestKey;

before(async () => {
  es = await makeKey("ES256", "es-key");
});

function verifier(overrides: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    keys: createLocalKeySource({ keys: [es.jwk] }),
    issuers: [ISSUER],
    audiences: [AUDIENCE],
    userClaim: "oid",
    clockToleranceSeconds: 0,
    ...overrides,
  });
}

async function assertUnauthorized(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.code, "InvalidAuthenticationToken");
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe("createTokenVerifier: the verified-token cache", () => {
  function counting(keys: KeySource): { keys: JWTVerifyGetKey; calls: () => number } {
    let calls = 0;
    return {
      keys: (header, token) => {
        calls++;
        return keys(header, token);
      },
      calls: () => calls,
    };
  }

  test("a verified token is not verified again", async () => {
    const counter = counting(createLocalKeySource({ keys: [es.jwk] }));
    const v = verifier({ keys: counter.keys });
    const token = await sign(es, delegatedClaims());
    const first = await v.verify(token);
    const second = await v.verify(token);
    assert.equal(second, first);
    assert.equal(counter.calls(), 1);
  });

  test("cached() knows a verified token until it expires, and nothing else", async () => {
    let clock = new Date();
    const v = verifier({ currentDate: () => clock });
    const exp = nowSeconds() + 60;
    const token = await sign(es, delegatedClaims({ exp }));
    assert.equal(v.cached(token), undefined, "not before it is verified");
    const principal = await v.verify(token);
    assert.equal(v.cached(token), principal);
    assert.equal(v.cached(`${token}x`), undefined);
    clock = new Date(exp * 1000);
    assert.equal(v.cached(token), undefined, "not once expired");
  });

  test("another token ending in a verified token's signature is checked in full and refused", async () => {
    const counter = counting(createLocalKeySource({ keys: [es.jwk] }));
    const v = verifier({ keys: counter.keys });
    const token = await sign(es, delegatedClaims());
    const principal = await v.verify(token);
    const [header, , signature] = token.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify(delegatedClaims({ oid: "00000000-0000-0000-0000-0000000000ff" })),
    ).toString("base64url");
    const forged = `${header}.${forgedPayload}.${signature}`;
    assert.equal(v.cached(forged), undefined);
    await assertUnauthorized(v.verify(forged));
    assert.equal(counter.calls(), 2, "the forged token went through the full check");
    assert.equal(v.cached(token), principal, "the verified token is still known");
  });

  test("an expired token is not served from the cache", async () => {
    const counter = counting(createLocalKeySource({ keys: [es.jwk] }));
    let clock = new Date();
    const v = verifier({ keys: counter.keys, currentDate: () => clock });
    const exp = nowSeconds() + 60;
    const token = await sign(es, delegatedClaims({ exp }));
    await v.verify(token);
    clock = new Date(exp * 1000);
    await assertUnauthorized(v.verify(token), /has expired/);
    assert.equal(counter.calls(), 2);
  });

  test("the cache is bounded and evicts the oldest token", async () => {
    const counter = counting(createLocalKeySource({ keys: [es.jwk] }));
    const v = verifier({ keys: counter.keys, cacheMaxEntries: 2 });
    const tokens = await Promise.all(
      ["a", "b", "c"].map((jti) => sign(es, delegatedClaims({ jti }))),
    );
    for (const token of tokens) await v.verify(token);
    assert.equal(counter.calls(), 3);
    await v.verify(tokens[2] ?? "");
    assert.equal(counter.calls(), 3, "the newest token is still cached");
    await v.verify(tokens[0] ?? "");
    assert.equal(counter.calls(), 4, "the oldest token was evicted");
  });

  test("a refused token is not cached", async () => {
    const counter = counting(createLocalKeySource({ keys: [es.jwk] }));
    const v = verifier({ keys: counter.keys });
    const token = await sign(es, delegatedClaims({ nonce: "x" }));
    await assertUnauthorized(v.verify(token));
    await assertUnauthorized(v.verify(token));
    assert.equal(counter.calls(), 2);
  });
});
