/**
 * Settings read from the environment: a wrong value stops startup with a message naming the
 * variable the operator set, and numbers are plain decimal.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config.ts";

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
};

test("numbers are decimal digits: hex, exponents and fractions are refused, naming the variable", () => {
  assert.equal(loadConfig({ PORT: "8192" }).port, 8192);
  for (const [name, raw] of [
    ["PORT", "0x2000"],
    ["PORT", "8e3"],
    ["PORT", "80.5"],
    ["RATE_LIMIT_REQUESTS", "1e3"],
    ["IMAGE_QUEUE_LIMIT", "0b1"],
  ] as const) {
    assert.match(refusal({ [name]: raw }), new RegExp(`${name}=${raw}: expected a whole number`));
  }
});

test("a HOST that makes no URL is named as HOST, not as the PUBLIC_URL made from it", () => {
  assert.match(refusal({ HOST: "not a host" }), /- HOST=not a host: not a host name or address/);
  assert.match(
    refusal({ PUBLIC_URL: "ftp://x" }),
    /PUBLIC_URL=ftp:\/\/x: expected an http\(s\) URL/,
  );
});
