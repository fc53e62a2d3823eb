import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_AUTHORIZATION_HEADER_LENGTH, readBearerToken } from "../../src/auth/bearer.ts";
import { GraphError } from "../../src/errors.ts";

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

function assertRejected(header: string | undefined, message: RegExp): void {
  assert.throws(
    () => readBearerToken(header),
    (error: unknown) =>
      error instanceof GraphError &&
      error.code === "InvalidAuthenticationToken" &&
      error.status === 401 &&
      message.test(error.message),
  );
}

describe("readBearerToken", () => {
  test("returns the token of a Bearer header", () => {
    assert.equal(readBearerToken(`Bearer ${TOKEN}`), TOKEN);
  });

  test("matches the scheme case-insensitively and tolerates surrounding spaces", () => {
    assert.equal(readBearerToken(`bearer ${TOKEN}`), TOKEN);
    assert.equal(readBearerToken(`BEARER   ${TOKEN}  `), TOKEN);
  });

  test("rejects a missing or blank header", () => {
    assertRejected(undefined, /no Authorization header/);
    assertRejected("", /no Authorization header/);
    assertRejected("   ", /no Authorization header/);
  });

  test("rejects another scheme", () => {
    assertRejected(`Basic ${TOKEN}`, /Bearer scheme/);
    assertRejected(`Bearer:${TOKEN}`, /Bearer scheme/);
    assertRejected(TOKEN, /Bearer scheme/);
  });

  test("rejects an empty token", () => {
    assertRejected("Bearer", /empty/);
    assertRejected("Bearer    ", /empty/);
  });

  test("rejects more than one token", () => {
    assertRejected(`Bearer ${TOKEN} ${TOKEN}`, /exactly one token/);
    assertRejected(`Bearer ${TOKEN}, Bearer ${TOKEN}`, /exactly one token/);
    assertRejected(`Bearer ${TOKEN},${TOKEN}`, /exactly one token/);
  });

  test("rejects an oversized header", () => {
    const header = `Bearer ${TOKEN}${"A".repeat(MAX_AUTHORIZATION_HEADER_LENGTH)}`;
    assertRejected(header, /too long/);
  });

  test("rejects tokens that are not three base64url parts", () => {
    for (const token of [
      "abc",
      "a.b",
      "a.b.c.d",
      "a..c",
      "a.b.",
      ".b.c",
      "a+b.c/d.e=",
      "a.b.c=",
      "ä.b.c",
    ]) {
      assertRejected(`Bearer ${token}`, /not a JWT/);
    }
  });
});
