import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { JSONWebKeySet } from "jose";
import {
  createKeySource,
  createRemoteKeySource,
  type KeySource,
  type RemoteKeySourceOptions,
} from "../../src/auth/key-source.ts";
import { createTokenVerifier } from "../../src/auth/verify-token.ts";
import { type AuthConfig, ConfigError } from "../../src/config.ts";
import { GraphError } from "../../src/errors.ts";
import {
  AUDIENCE,
  delegatedClaims,
  ISSUER,
  makeKey,
  sendJson,
  sign,
  startServer,
  type TestKey,
} from "./support.ts";

let keyA: TestKey;
let keyB: TestKey;
let keyC: TestKey;

before(async () => {
  [keyA, keyB, keyC] = await Promise.all([
    makeKey("ES256", "key-a"),
    makeKey("RS256", "key-b"),
    makeKey("ES256", "key-c"),
  ]);
});

function authConfig(overrides: Partial<AuthConfig>): AuthConfig {
  return {
    issuers: [ISSUER],
    audiences: [AUDIENCE],
    jwksUrl: undefined,
    jwksFile: undefined,
    userClaim: "oid",
    clockToleranceSeconds: 0,
    devIssuer: false,
    ...overrides,
  };
}

function verifierFor(keys: KeySource, issuer = ISSUER) {
  return createTokenVerifier({
    keys,
    issuers: [issuer],
    audiences: [AUDIENCE],
    userClaim: "oid",
    clockToleranceSeconds: 0,
  });
}

/** A JWKS server whose key set the test changes; `status` 0 means "never answer". */
async function jwksServer(initial: JSONWebKeySet) {
  const state = { jwks: initial, status: 200, body: undefined as string | undefined };
  const server = await startServer((_request, response) => {
    if (state.status === 0) return;
    if (state.body !== undefined) {
      response.writeHead(state.status, { "content-type": "application/json" });
      response.end(state.body);
      return;
    }
    sendJson(response, state.jwks, state.status);
  });
  return { server, state };
}

async function assertUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.code, "serviceNotAvailable");
    assert.equal(error.status, 503);
    assert.equal(error.retryAfter, 5);
    return true;
  });
}

async function assertUnauthorized(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.code, "InvalidAuthenticationToken");
    return true;
  });
}

describe("remote JWKS (AUTH_JWKS_URL)", () => {
  test("a key added to the set verifies after one refetch (rotation)", async () => {
    const { server, state } = await jwksServer({ keys: [keyA.jwk] });
    try {
      const auth = authConfig({ jwksUrl: `${server.url}/keys` });
      const v = verifierFor(createKeySource(auth, undefined, { cooldownMs: 0 }));
      await v.verify(await sign(keyA, delegatedClaims()));
      assert.equal(server.hits.length, 1);
      state.jwks = { keys: [keyA.jwk, keyB.jwk] };
      assert.equal((await v.verify(await sign(keyB, delegatedClaims()))).kind, "delegated");
      assert.equal(server.hits.length, 2);
    } finally {
      await server.close();
    }
  });

  test("an unknown kid refetches at most once per cooldown", async () => {
    const { server, state } = await jwksServer({ keys: [keyA.jwk] });
    try {
      const v = verifierFor(createRemoteKeySource(new URL(server.url), { cooldownMs: 60_000 }));
      await v.verify(await sign(keyA, delegatedClaims()));
      state.jwks = { keys: [keyA.jwk, keyB.jwk] };
      await assertUnauthorized(v.verify(await sign(keyB, delegatedClaims())));
      await assertUnauthorized(v.verify(await sign(keyC, delegatedClaims())));
      assert.equal(server.hits.length, 1);
    } finally {
      await server.close();
    }
  });

  test("a key set server that is down is a 503 with Retry-After, not a 401", async () => {
    const { server } = await jwksServer({ keys: [keyA.jwk] });
    const url = new URL(server.url);
    await server.close();
    const v = verifierFor(createRemoteKeySource(url, { timeoutMs: 2_000 }));
    await assertUnavailable(v.verify(await sign(keyA, delegatedClaims())));
  });

  test("a key set server that does not answer in time is a 503", async () => {
    const { server, state } = await jwksServer({ keys: [keyA.jwk] });
    state.status = 0;
    try {
      const v = verifierFor(createRemoteKeySource(new URL(server.url), { timeoutMs: 100 }));
      await assertUnavailable(v.verify(await sign(keyA, delegatedClaims())));
    } finally {
      await server.close();
    }
  });

  test("an error status, a non-JSON body or a malformed key set is a 503", async () => {
    const cases: { status: number; body?: string }[] = [
      { status: 500 },
      { status: 200, body: "<html>not json</html>" },
      { status: 200, body: '{"keys":"none"}' },
    ];
    for (const answer of cases) {
      const { server, state } = await jwksServer({ keys: [keyA.jwk] });
      Object.assign(state, answer);
      try {
        const v = verifierFor(createRemoteKeySource(new URL(server.url)));
        await assertUnavailable(v.verify(await sign(keyA, delegatedClaims())));
      } finally {
        await server.close();
      }
    }
  });
});

describe("OpenID discovery (only AUTH_ISSUER)", () => {
  async function discoveryServer() {
    const state = { discoveryStatus: 200 };
    let issuer = "";
    const server = await startServer((request, response) => {
      if (request.url === "/tenant-x/v2.0/.well-known/openid-configuration") {
        if (state.discoveryStatus !== 200) return sendJson(response, {}, state.discoveryStatus);
        return sendJson(response, { issuer, jwks_uri: `${server.url}/tenant-x/keys` });
      }
      if (request.url === "/tenant-x/keys") return sendJson(response, { keys: [keyA.jwk] });
      sendJson(response, {}, 404);
    });
    issuer = `${server.url}/tenant-x/v2.0`;
    return { server, state, issuer };
  }

  test("finds the key set through the discovery document, once", async () => {
    const { server, issuer } = await discoveryServer();
    try {
      const v = verifierFor(createKeySource(authConfig({ issuers: [issuer] })), issuer);
      await v.verify(await sign(keyA, delegatedClaims({ iss: issuer, jti: "1" })));
      await v.verify(await sign(keyA, delegatedClaims({ iss: issuer, jti: "2" })));
      assert.deepEqual(server.hits, [
        "/tenant-x/v2.0/.well-known/openid-configuration",
        "/tenant-x/keys",
      ]);
    } finally {
      await server.close();
    }
  });

  test("a failed discovery is a 503 and is retried on the next use", async () => {
    const { server, state, issuer } = await discoveryServer();
    try {
      state.discoveryStatus = 503;
      const v = verifierFor(createKeySource(authConfig({ issuers: [`${issuer}/`] })), issuer);
      const token = await sign(keyA, delegatedClaims({ iss: issuer }));
      await assertUnavailable(v.verify(token));
      state.discoveryStatus = 200;
      assert.equal((await v.verify(token)).kind, "delegated");
      assert.equal(server.hits.filter((hit) => hit.includes("openid-configuration")).length, 2);
    } finally {
      await server.close();
    }
  });

  test("a discovery document without jwks_uri is a 503", async () => {
    const server = await startServer((_request, response) => sendJson(response, { issuer: "x" }));
    try {
      const options: RemoteKeySourceOptions = { timeoutMs: 2_000 };
      const keys = createKeySource(authConfig({ issuers: [server.url] }), undefined, options);
      const v = verifierFor(keys, server.url);
      await assertUnavailable(v.verify(await sign(keyA, delegatedClaims({ iss: server.url }))));
    } finally {
      await server.close();
    }
  });
});

describe("JWKS file (AUTH_JWKS_FILE) and the development key set", () => {
  test("verifies with a key set read from a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "portrait-jwks-"));
    try {
      const file = join(dir, "jwks.json");
      await writeFile(file, JSON.stringify({ keys: [keyA.jwk, keyB.jwk] }));
      const v = verifierFor(createKeySource(authConfig({ jwksFile: file })));
      assert.equal((await v.verify(await sign(keyB, delegatedClaims()))).kind, "delegated");
      await assertUnauthorized(v.verify(await sign(keyC, delegatedClaims())));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a missing or malformed file is a configuration error at startup", async () => {
    const dir = await mkdtemp(join(tmpdir(), "portrait-jwks-"));
    try {
      const missing = join(dir, "missing.json");
      assert.throws(() => createKeySource(authConfig({ jwksFile: missing })), ConfigError);
      const malformed = join(dir, "bad.json");
      await writeFile(malformed, JSON.stringify({ keys: "nope" }));
      assert.throws(() => createKeySource(authConfig({ jwksFile: malformed })), ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the development issuer's in-memory key set is used when devIssuer is set", async () => {
    const auth = authConfig({ issuers: [], audiences: [], devIssuer: true });
    assert.throws(() => createKeySource(auth));
    const v = verifierFor(createKeySource(auth, { keys: [keyC.jwk] }));
    assert.equal((await v.verify(await sign(keyC, delegatedClaims()))).kind, "delegated");
    await assertUnauthorized(v.verify(await sign(keyA, delegatedClaims())));
  });
});
