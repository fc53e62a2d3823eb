/**
 * HTTP-side helpers of the hardening tests: Graph's error shape, and a byte-for-byte snapshot of
 * a user's photo (every size's ETag and bytes) to prove that a refused upload changed nothing.
 */
import assert from "node:assert/strict";
import type { LightMyRequestResponse } from "fastify";
import { GRAPH_ERRORS, type GraphErrorCode } from "../../src/errors.ts";
import { makeJpeg } from "../helpers/images.ts";
import type { TestService } from "../helpers/service.ts";

/** The statuses an upload of arbitrary bytes may get; anything else (5xx above all) is a bug. */
export const UPLOAD_STATUSES: readonly number[] = [200, 400, 413, 415];

export type Headers = Record<string, string>;

export function putPhoto(
  service: TestService,
  headers: Headers,
  payload: Uint8Array | string,
): Promise<LightMyRequestResponse> {
  const body = typeof payload === "string" ? payload : Buffer.from(payload);
  return service.app.inject({
    method: "PUT",
    url: "/v1.0/me/photo/$value",
    headers,
    payload: body,
  });
}

/**
 * Why `response` is not an error in Graph's shape whose code belongs to its status, or
 * `undefined` when it is one.
 */
export function graphErrorProblem(response: LightMyRequestResponse): string | undefined {
  let body: unknown;
  try {
    body = response.json();
  } catch {
    return `body is not JSON: ${JSON.stringify(response.body.slice(0, 80))}`;
  }
  const error = (body as { error?: Record<string, unknown> }).error;
  if (typeof error?.code !== "string" || typeof error.message !== "string") {
    return `no error.code / error.message: ${response.body.slice(0, 120)}`;
  }
  const known = GRAPH_ERRORS[error.code as GraphErrorCode];
  if (known?.status !== response.statusCode) {
    return `code ${error.code} does not belong to status ${response.statusCode}`;
  }
  const inner = error.innerError as Record<string, unknown> | undefined;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(String(inner?.date))) return "bad innerError.date";
  if (inner?.["request-id"] !== response.headers["request-id"]) return "request-id mismatch";
  if (inner?.["client-request-id"] !== response.headers["client-request-id"]) {
    return "client-request-id mismatch";
  }
  return undefined;
}

/** Asserts Graph's error shape with this status and code; returns the error. */
export function assertGraphError(
  response: LightMyRequestResponse,
  status: number,
  code: GraphErrorCode,
): { code: string; message: string } {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(graphErrorProblem(response), undefined);
  const error = response.json().error as { code: string; message: string };
  assert.equal(error.code, code);
  return error;
}

export interface StoredSize {
  id: string;
  etag: string;
  bytes: Buffer;
}

/** Every size of the caller's photo, smallest first: id, ETag and the bytes served. */
export async function photoSnapshot(service: TestService, headers: Headers): Promise<StoredSize[]> {
  const get = (url: string) => service.app.inject({ method: "GET", url, headers });
  const list = await get("/v1.0/me/photos");
  assert.equal(list.statusCode, 200, list.body);
  const sizes: StoredSize[] = [];
  for (const { id } of list.json().value as Array<{ id: string }>) {
    const value = await get(`/v1.0/me/photos/${id.toLowerCase()}/$value`);
    assert.equal(value.statusCode, 200);
    assert.equal(value.headers["content-type"], "image/jpeg");
    assert.equal(value.headers["x-content-type-options"], "nosniff");
    sizes.push({ id, etag: String(value.headers.etag), bytes: value.rawPayload });
  }
  return sizes;
}

/** A user whose photo (all nine sizes) must survive every refused upload unchanged. */
export interface Victim {
  headers: Headers;
  original: StoredSize[];
  /** Uploads `body`: this status and code in Graph's shape, nothing changed, still serving. */
  assertRefused(
    body: Uint8Array | string,
    status: number,
    code: GraphErrorCode,
  ): Promise<{ code: string; message: string }>;
}

export async function createVictim(service: TestService, upn: string): Promise<Victim> {
  const id = await service.createUser(upn);
  const headers = { authorization: `Bearer ${await service.userToken(id, ["User.ReadWrite"])}` };
  assert.equal((await putPhoto(service, headers, await makeJpeg(700, 700))).statusCode, 200);
  const original = await photoSnapshot(service, headers);
  assert.equal(original.length, 9, "the photo has all nine sizes");
  return {
    headers,
    original,
    async assertRefused(body, status, code) {
      const error = assertGraphError(await putPhoto(service, headers, body), status, code);
      assert.deepEqual(await photoSnapshot(service, headers), original, "every size unchanged");
      await assertServing(service, headers);
      return error;
    },
  };
}

/** The service still answers: liveness, and a read of the photo. */
export async function assertServing(service: TestService, headers: Headers): Promise<void> {
  const health = await service.app.inject({ method: "GET", url: "/healthz" });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: "ok" });
  const photo = await service.app.inject({ method: "GET", url: "/v1.0/me/photo", headers });
  assert.equal(photo.statusCode, 200);
}
