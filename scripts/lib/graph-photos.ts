/**
 * The Graph calls the hardening checks make against a running Portrait, over real sockets:
 * create a user, upload a user's photo, list its sizes and read a size's bytes. Each call returns
 * either what the server answered or the connection-level failure, never throws for those.
 */
import { type ConnectionFailure, type HttpAnswer, header, send } from "./http-client.ts";

export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: ConnectionFailure };

/** An answer other than the one the call expects. */
export interface Unexpected {
  unexpected: true;
  status: number;
  body: string;
}

export interface ListedSize {
  edge: number;
  /** `@odata.mediaEtag` without its quotes. */
  etag: string;
}

export interface SizeBytes {
  /** The ETag header without its quotes. */
  etag: string;
  bytes: Buffer;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const userPath = (userId: string) => `/v1.0/users/${encodeURIComponent(userId)}`;

function unexpected(answer: HttpAnswer): Unexpected {
  return {
    unexpected: true,
    status: answer.status,
    body: answer.body.toString("utf8").slice(0, 500),
  };
}

export async function createUser(
  baseUrl: string,
  token: string,
  userPrincipalName: string,
): Promise<Outcome<string | Unexpected>> {
  const body = Buffer.from(
    JSON.stringify({ displayName: userPrincipalName.split("@")[0], userPrincipalName }),
  );
  const outcome = await send(baseUrl, "POST", "/v1.0/users", {
    headers: { ...bearer(token), "content-type": "application/json" },
    body,
  });
  if (!outcome.ok) return outcome;
  const { answer } = outcome;
  if (answer.status !== 201) return { ok: true, value: unexpected(answer) };
  return { ok: true, value: (JSON.parse(answer.body.toString("utf8")) as { id: string }).id };
}

/** PUT `/users/{id}/photo/$value`; the answer as it came. */
export async function uploadPhoto(
  baseUrl: string,
  token: string,
  userId: string,
  image: Uint8Array,
  timeoutMs?: number,
): Promise<Outcome<HttpAnswer>> {
  const outcome = await send(baseUrl, "PUT", `${userPath(userId)}/photo/$value`, {
    headers: { ...bearer(token), "content-type": "image/jpeg" },
    body: image,
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
  return outcome.ok ? { ok: true, value: outcome.answer } : outcome;
}

/** GET `/users/{id}/photos`: the sizes, or `[]` for 404 `ImageNotFound`. */
export async function listSizes(
  baseUrl: string,
  token: string,
  userId: string,
): Promise<Outcome<ListedSize[] | Unexpected>> {
  const outcome = await send(baseUrl, "GET", `${userPath(userId)}/photos`, {
    headers: bearer(token),
  });
  if (!outcome.ok) return outcome;
  const { answer } = outcome;
  if (answer.status === 404 && errorCode(answer) === "ImageNotFound")
    return { ok: true, value: [] };
  if (answer.status !== 200) return { ok: true, value: unexpected(answer) };
  const listing = JSON.parse(answer.body.toString("utf8")) as {
    value: { width: number; "@odata.mediaEtag": string }[];
  };
  return {
    ok: true,
    value: listing.value.map((size) => ({
      edge: size.width,
      etag: unquote(size["@odata.mediaEtag"]),
    })),
  };
}

/**
 * GET `/users/{id}/photos/{edge}x{edge}/$value`, or `/users/{id}/photo/$value` (the largest)
 * when `edge` is undefined.
 */
export async function readSize(
  baseUrl: string,
  token: string,
  userId: string,
  edge?: number,
): Promise<Outcome<SizeBytes | Unexpected>> {
  const path =
    edge === undefined
      ? `${userPath(userId)}/photo/$value`
      : `${userPath(userId)}/photos/${edge}x${edge}/$value`;
  const outcome = await send(baseUrl, "GET", path, { headers: bearer(token) });
  if (!outcome.ok) return outcome;
  const { answer } = outcome;
  if (answer.status !== 200) return { ok: true, value: unexpected(answer) };
  return { ok: true, value: { etag: unquote(header(answer, "etag") ?? ""), bytes: answer.body } };
}

export function isUnexpected(value: unknown): value is Unexpected {
  return typeof value === "object" && value !== null && "unexpected" in value;
}

/** Graph's `error.code` of an error answer, if it has one. */
export function errorCode(answer: HttpAnswer): string | undefined {
  try {
    const body = JSON.parse(answer.body.toString("utf8")) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

function unquote(tag: string): string {
  return tag.replace(/^"(.*)"$/, "$1");
}
