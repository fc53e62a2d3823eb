/** Graph calls through `inject` with a bearer token, and assertions on Graph error bodies. */
import assert from "node:assert/strict";
import type { LightMyRequestResponse } from "fastify";
import type { TestService } from "./service.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Reply = LightMyRequestResponse;

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Directory role template ids that make a delegated caller an admin (contract section 5). */
export const GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10";
export const USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/** One request as `token`'s caller: an object body is sent as JSON, a Buffer as image/jpeg. */
export function send(
  service: TestService,
  method: Method,
  url: string,
  token: string,
  body?: object | Buffer,
): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body === undefined) return service.app.inject({ method, url, headers });
  const image = Buffer.isBuffer(body);
  headers["content-type"] = image ? "image/jpeg" : "application/json";
  return service.app.inject({ method, url, headers, payload: image ? body : JSON.stringify(body) });
}

/** Graph's message for an unknown user or group. */
export function notFoundMessage(key: string): string {
  return `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`;
}

/** Asserts a Graph error response: status, `error.code` and, when given, `error.message`. */
export function assertGraphError(
  response: Reply,
  status: number,
  code: string,
  message?: string,
): void {
  assert.equal(response.statusCode, status, `expected ${status} ${code}, got ${response.body}`);
  const error = response.json().error;
  assert.equal(error?.code, code, response.body);
  if (message !== undefined) assert.equal(error.message, message);
}

/** `status code` of a response, for compact comparisons of many outcomes. */
export function outcome(response: Reply): string {
  if (response.statusCode < 400) return String(response.statusCode);
  return `${response.statusCode} ${response.json().error?.code}`;
}
