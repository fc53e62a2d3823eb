/** Photo GETs on a real socket, for the read fast path's tests (`src/http/fast-read.ts`). */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { TestService } from "./service.ts";

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Starts `service` listening on a free port of 127.0.0.1; its base URL. */
export async function listening(service: TestService): Promise<string> {
  await service.app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
}

export async function get(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { headers });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** Uploads a photo for `userId` through the routes; returns the response. */
export async function putPhoto(service: TestService, userId: string, token: string, jpeg: Buffer) {
  const put = await service.app.inject({
    method: "PUT",
    url: `/v1.0/users/${userId}/photo/$value`,
    headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
    payload: jpeg,
  });
  assert.equal(put.statusCode, 200);
  return put;
}

/** The metrics' count of responses the fast path sent. */
export async function fastResponses(service: TestService): Promise<number> {
  const response = await service.app.inject({ method: "GET", url: "/metrics" });
  const match = /^portrait_http_fast_path_responses_total (\d+)$/m.exec(response.body);
  assert.ok(match?.[1], "the metrics carry the fast-path counter");
  return Number(match[1]);
}
