/** Logs: one JSON line per request, carrying the request id the response carries. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startService } from "../helpers/service.ts";

function collect(): { lines: Record<string, unknown>[]; write(line: string): void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line) => lines.push(JSON.parse(line)) };
}

test("at info, each request is one line with its request id, method, URL, status and time", async () => {
  const log = collect();
  const service = await startService({ LOG_LEVEL: "info" }, { logStream: log });
  try {
    const token = await service.appToken();
    const userId = await service.createUser("logged@contoso.com");
    log.lines.length = 0;
    const url = `/v1.0/users/${userId}/photo`;
    const response = await service.app.inject({
      method: "GET",
      url,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.statusCode, 404);

    const mine = log.lines.filter((line) => line.reqId === response.headers["request-id"]);
    const completed = mine.filter((line) => line.msg === "request completed");
    assert.equal(completed.length, 1, JSON.stringify(mine));
    const line = completed[0] as Record<string, unknown>;
    assert.equal(line.level, 30);
    assert.equal(line.method, "GET");
    assert.equal(line.url, url);
    assert.equal(line.statusCode, 404);
    assert.equal(typeof line.remoteAddress, "string");
    assert.equal(typeof line.responseTime, "number");
    assert.ok(
      !mine.some((entry) => entry.msg === "incoming request"),
      "no second line per request",
    );
  } finally {
    await service.close();
  }
});

test("above info, requests write no lines", async () => {
  const log = collect();
  const service = await startService({ LOG_LEVEL: "warn" }, { logStream: log });
  try {
    const response = await service.app.inject({ method: "GET", url: "/healthz" });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(log.lines, []);
  } finally {
    await service.close();
  }
});
