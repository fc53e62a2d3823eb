/**
 * Reads the bearer token from an `Authorization` header (RFC 6750 section 2.1).
 * Only the shape is checked here; the signature and claims are checked by `verify-token.ts`.
 */
import { GraphError } from "../errors.ts";

/** Longest `Authorization` header accepted, in characters. */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 16 * 1024;

/** A compact JWS: three non-empty base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const invalid = (why: string) => new GraphError("InvalidAuthenticationToken", why);

/** Returns the token of `Authorization: Bearer <token>`; 401 for anything else. */
export function readBearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === "") {
    throw invalid("Access token is empty: the request has no Authorization header.");
  }
  if (header.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
    throw invalid("The Authorization header is too long.");
  }
  const match = /^(\S+)(?:[ \t]+([\s\S]*))?$/.exec(header.trim());
  const scheme = match?.[1] ?? "";
  if (scheme.toLowerCase() !== "bearer") {
    throw invalid("The Authorization header must use the Bearer scheme.");
  }
  const token = (match?.[2] ?? "").trim();
  if (token === "") throw invalid("Access token is empty.");
  if (/\s|,/.test(token)) throw invalid("The Authorization header must carry exactly one token.");
  if (!COMPACT_JWS.test(token)) {
    throw invalid("The access token is not a JWT (three base64url parts separated by dots).");
  }
  return token;
}
