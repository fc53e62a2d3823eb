/**
 * Per-caller rate limiting: the limiter itself on a test clock, the limit as Graph callers see
 * it (429 TooManyRequests with Retry-After, one budget per user and per application), and the
 * official Graph JavaScript SDK's RetryHandler waiting out the Retry-After and succeeding.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  Client,
  type Context,
  CustomAuthenticationProvider,
  type Middleware,
  MiddlewareFactory,
} from "@microsoft/microsoft-graph-client";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { createRateLimiter } from "../../src/http/rate-limit.ts";
import { assertGraphError, send } from "../helpers/graph-calls.ts";
import { createHttpsTransport } from "../helpers/https-transport.ts";
import {
  createSelfSignedCert,
  opensslAvailable,
  type SelfSignedCert,
} from "../helpers/self-signed-cert.ts";
import { ALL_APP_ROLES, startService, type TestService } from "../helpers/service.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A clock the test moves by hand, in milliseconds. */
function manualClock() {
  let now = 1_000;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("createRateLimiter", () => {
  test("allows `limit` requests per window, then says how many seconds until the window ends", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ limit: 3, windowSeconds: 60, now: clock.now });
    assert.deepEqual([limiter.take("a"), limiter.take("a"), limiter.take("a")], [0, 0, 0]);
    clock.advance(10_500);
    assert.equal(limiter.take("a"), 50);
    clock.advance(49_000);
    assert.equal(limiter.take("a"), 1, "0.5 s left rounds up to 1");
  });

  test("each key has its own budget", () => {
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 60, now: manualClock().now });
    assert.equal(limiter.take("a"), 0);
    assert.ok(limiter.take("a") > 0);
    assert.equal(limiter.take("b"), 0);
  });

  test("once the window has passed, requests are allowed again for a full window", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ limit: 2, windowSeconds: 60, now: clock.now });
    limiter.take("a");
    limiter.take("a");
    assert.equal(limiter.take("a"), 60);
    clock.advance(60_000);
    assert.deepEqual([limiter.take("a"), limiter.take("a")], [0, 0]);
    assert.equal(limiter.take("a"), 60);
  });

  test("expired windows are dropped as time passes", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ limit: 5, windowSeconds: 1, now: clock.now });
    for (let i = 0; i < 100; i++) limiter.take(`caller-${i}`);
    assert.equal(limiter.size(), 100);
    clock.advance(1_000);
    limiter.take("late");
    assert.equal(limiter.size(), 1);
  });

  test("at most `maxKeys` callers are tracked; the oldest window gives way", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ limit: 1, windowSeconds: 60, maxKeys: 3, now: clock.now });
    for (const key of ["a", "b", "c", "d"]) {
      limiter.take(key);
      clock.advance(1);
    }
    assert.equal(limiter.size(), 3);
    assert.equal(limiter.take("a"), 0, "a was dropped, so it starts a new window");
    assert.ok(limiter.take("d") > 0, "d is still tracked");
  });

  test("limit 0 is off", () => {
    const limiter = createRateLimiter({ limit: 0, windowSeconds: 60 });
    assert.equal(limiter.enabled, false);
    for (let i = 0; i < 1000; i++) assert.equal(limiter.take("a"), 0);
    assert.equal(limiter.size(), 0);
  });
});

describe("rate limit settings", () => {
  test("off by default, with a window of 60 seconds", () => {
    const config = loadConfig({});
    assert.equal(config.rateLimitRequests, 0);
    assert.equal(config.rateLimitWindowSeconds, 60);
  });

  test("a window of 0 or a negative limit is refused", () => {
    assert.throws(() => loadConfig({ RATE_LIMIT_WINDOW_SECONDS: "0" }), ConfigError);
    assert.throws(() => loadConfig({ RATE_LIMIT_REQUESTS: "-1" }), ConfigError);
  });
});

describe("rate limiting of Graph requests", () => {
  test("is off by default: 200 requests of one caller all succeed", async () => {
    const service = await startService();
    try {
      const token = await service.appToken();
      const userId = await service.createUser("ada@portrait.test");
      for (let i = 0; i < 200; i++) {
        const response = await send(service, "GET", `/v1.0/users/${userId}`, token);
        assert.equal(response.statusCode, 200, response.body);
      }
    } finally {
      await service.close();
    }
  });

  describe("with RATE_LIMIT_REQUESTS=5", () => {
    const LIMIT = 5;
    let service: TestService;
    let userId: string;
    let otherUserId: string;

    before(async () => {
      service = await startService({ RATE_LIMIT_REQUESTS: String(LIMIT) });
      userId = await service.createUser("ada@portrait.test");
      otherUserId = await service.createUser("grace@portrait.test");
    });
    after(async () => {
      await service?.close();
    });

    const appToken = (appId: string, tenantId?: string) =>
      service.issuer.mint({
        app: true,
        roles: ALL_APP_ROLES,
        appId,
        ...(tenantId && { tenantId }),
      });

    /** Spends a caller's whole budget; every one of those requests succeeds. */
    const spend = async (token: string, path: string) => {
      for (let i = 0; i < LIMIT; i++) {
        const response = await send(service, "GET", path, token);
        assert.equal(response.statusCode, 200, `request ${i + 1}: ${response.body}`);
      }
    };

    test("the request after the limit is 429 TooManyRequests with Graph's body and Retry-After", async () => {
      const token = await appToken("app-one");
      await spend(token, `/v1.0/users/${userId}`);
      const refused = await send(service, "GET", `/v1.0/users/${userId}`, token);
      assertGraphError(refused, 429, "TooManyRequests");
      const retryAfter = Number(refused.headers["retry-after"]);
      assert.ok(Number.isInteger(retryAfter), `Retry-After: ${refused.headers["retry-after"]}`);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
      const inner = refused.json().error.innerError;
      assert.match(inner["request-id"], UUID);
      assert.equal(refused.headers["request-id"], inner["request-id"]);
      // The budget is per caller, not per API version or per URL.
      assertGraphError(
        await send(service, "GET", `/beta/users/${otherUserId}`, token),
        429,
        "TooManyRequests",
      );
    });

    test("another application, and the same application in another tenant, are unaffected", async () => {
      const token = await appToken("app-two");
      await spend(token, `/v1.0/users/${userId}`);
      assert.equal((await send(service, "GET", `/v1.0/users/${userId}`, token)).statusCode, 429);

      const other = await appToken("app-three");
      await spend(other, `/v1.0/users/${userId}`);
      const elsewhere = await appToken("app-two", randomUUID());
      const response = await send(service, "GET", "/v1.0/users", elsewhere);
      assert.equal(response.statusCode, 200, response.body);
    });

    test("each signed-in user has a budget of their own", async () => {
      const ada = await service.userToken(userId, ["User.Read"]);
      const grace = await service.userToken(otherUserId, ["User.Read"]);
      await spend(ada, "/v1.0/me");
      assertGraphError(await send(service, "GET", "/v1.0/me", ada), 429, "TooManyRequests");
      await spend(grace, "/v1.0/me");
    });

    test("requests without a valid token are refused with 401 and do not count", async () => {
      for (let i = 0; i < LIMIT * 2; i++) {
        const response = await send(service, "GET", "/v1.0/me", "not-a-token");
        assertGraphError(response, 401, "InvalidAuthenticationToken");
      }
      await spend(await appToken("app-four"), `/v1.0/users/${userId}`);
    });
  });

  test("with a 1-second window, a limited caller succeeds again once Retry-After has passed", {
    timeout: 20_000,
  }, async () => {
    const service = await startService({
      RATE_LIMIT_REQUESTS: "2",
      RATE_LIMIT_WINDOW_SECONDS: "1",
    });
    try {
      const token = await service.appToken();
      const userId = await service.createUser("ada@portrait.test");
      // The window of createUser's request may have passed; fill a window that starts now.
      let refused = await send(service, "GET", `/v1.0/users/${userId}`, token);
      for (let i = 0; i < 10 && refused.statusCode !== 429; i++) {
        refused = await send(service, "GET", `/v1.0/users/${userId}`, token);
      }
      assertGraphError(refused, 429, "TooManyRequests");
      assert.equal(refused.headers["retry-after"], "1");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const response = await send(service, "GET", `/v1.0/users/${userId}`, token);
      assert.equal(response.statusCode, 200, response.body);
    } finally {
      await service.close();
    }
  });
});

describe("the Graph JavaScript SDK v3 against a rate limit", {
  skip: opensslAvailable() ? false : "needs the openssl binary for a test certificate",
  timeout: 30_000,
}, () => {
  let cert: SelfSignedCert;
  let service: TestService;

  before(async () => {
    cert = await createSelfSignedCert();
    service = await startService({
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
      // Longer than the SDK's own first retry delay (3 s): only honouring Retry-After makes
      // the first retry succeed.
      RATE_LIMIT_REQUESTS: "1",
      RATE_LIMIT_WINDOW_SECONDS: "5",
    });
    await service.app.listen({ host: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await service?.close();
    await cert?.remove();
  });

  test("its default RetryHandler waits out Retry-After on a 429 and the retry succeeds", async () => {
    const token = await service.appToken();
    const transport = createHttpsTransport(cert.cert);
    const chain = MiddlewareFactory.getDefaultMiddlewareChain(
      new CustomAuthenticationProvider((done) => done(null, token)),
    );
    // The transport, recording what each request got back.
    const answers: { status: number; retryAfter: string | null }[] = [];
    const recording: Middleware = {
      async execute(context: Context) {
        await transport.execute(context);
        const response = context.response;
        answers.push({
          status: response?.status ?? 0,
          retryAfter: response?.headers.get("retry-after") ?? null,
        });
      },
    };
    chain.splice(chain.length - 1, 1, recording);
    const client = Client.initWithMiddleware({
      middleware: chain,
      baseUrl: `https://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`,
      defaultVersion: "v1.0",
      customHosts: new Set(["127.0.0.1"]),
    });

    const first: { value: unknown[] } = await client.api("/users").get();
    const second: { value: unknown[] } = await client.api("/users").get();

    assert.deepEqual(second, first);
    // Three requests went out: the second was refused and sent again, once, with
    // Retry-Attempt: 1, after the seconds the 429 asked for.
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 429, 200],
    );
    const retryAfter = Number(answers[1]?.retryAfter);
    assert.ok(retryAfter >= 4 && retryAfter <= 5, `Retry-After: ${answers[1]?.retryAfter}`);
    assert.equal(transport.sent.length, 3);
    assert.equal(transport.sent[1]?.headers.get("retry-attempt"), null);
    assert.equal(transport.sent[2]?.headers.get("retry-attempt"), "1");
  });
});
