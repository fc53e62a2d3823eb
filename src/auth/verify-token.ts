/**
 * Verifies a bearer access token and returns who is calling.
 *
 * - Signature: only RS256, PS256 and ES256, with a key from the configured key source; `jku`,
 *   `x5u` and `jwk` headers are never followed (jose ignores them with a key resolver).
 * - Claims: `exp` required; `iss` and `aud` must be configured values; `nbf`/`exp` with the
 *   configured clock tolerance.
 * - ID tokens are refused: a token whose header `typ` is set to anything but `JWT` or `at+jwt`, or
 *   whose payload carries a claim only OpenID Connect ID tokens carry (`nonce`, `at_hash`,
 *   `c_hash`).
 * - Errors: a bad token is 401 `InvalidAuthenticationToken`; an unreachable or broken key set is
 *   503 `serviceNotAvailable` with `Retry-After` (see `toGraphError`).
 * - A verified token is remembered (bounded, oldest evicted) until its `exp`, so repeated requests
 *   with the same token skip the signature check. A key removed from the key set therefore stops
 *   tokens it signed only when they expire or leave the cache.
 */
import {
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
} from "jose";
import { GraphError } from "../errors.ts";
import type { KeySource } from "./key-source.ts";
import { type Principal, principalFromClaims } from "./principal.ts";

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /**
   * The principal of `token` when it was verified before and has not expired since, else
   * undefined. Synchronous, so that a request with a known token needs no promise.
   */
  cached(token: string): Principal | undefined;
}

export interface TokenVerifierOptions {
  keys: KeySource;
  issuers: string[];
  audiences: string[];
  /** The claim naming the signed-in user (`oid`). */
  userClaim: string;
  clockToleranceSeconds: number;
  /** The clock; tests move it. */
  currentDate?: () => Date;
  /** Most verified tokens remembered (default 10,000; 0 turns the cache off). */
  cacheMaxEntries?: number;
}

export const ALLOWED_ALGORITHMS: readonly string[] = Object.freeze(["RS256", "PS256", "ES256"]);

/** Header `typ` values of an access token (RFC 9068), compared case-insensitively. */
const ACCESS_TOKEN_TYPES = new Set(["jwt", "at+jwt", "application/jwt", "application/at+jwt"]);
const ID_TOKEN_CLAIMS = ["nonce", "at_hash", "c_hash"];
const KEY_SET_RETRY_AFTER_SECONDS = 5;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keys, userClaim } = options;
  const currentDate = options.currentDate;
  // Milliseconds, without a Date object for the cache lookup every request makes.
  const nowMs = currentDate ? () => currentDate().getTime() : Date.now;
  const maxEntries = options.cacheMaxEntries ?? 10_000;
  // Keyed by the token's last characters (its signature), with the whole token kept to compare:
  // a fresh header string must be hashed to be looked up, and hashing 27 characters instead of
  // the whole token is a measurable part of a cached request. Equal keys of different tokens
  // only miss (and the newer token, once verified, takes the entry).
  const verified = new Map<string, { token: string; principal: Principal }>();

  const check = async (token: string, at: Date): Promise<Principal> => {
    const verifyOptions: JWTVerifyOptions = {
      algorithms: [...ALLOWED_ALGORITHMS],
      requiredClaims: ["exp"],
      issuer: options.issuers,
      audience: options.audiences,
      clockTolerance: options.clockToleranceSeconds,
      currentDate: at,
    };
    const { payload, protectedHeader } = await verifySignedJwt(token, keys, verifyOptions);
    const typ: unknown = protectedHeader.typ;
    if (
      typ !== undefined &&
      (typeof typ !== "string" || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))
    ) {
      throw new GraphError(
        "InvalidAuthenticationToken",
        `A token of type "${String(typ)}" is not an access token.`,
      );
    }
    if (ID_TOKEN_CLAIMS.some((claim) => claim in payload)) {
      throw new GraphError(
        "InvalidAuthenticationToken",
        "An ID token cannot be used as an access token.",
      );
    }
    // Frozen: one cached principal is shared by every request that presents the same token.
    return Object.freeze(principalFromClaims(payload, userClaim));
  };

  const cached = (token: string, atMs: number): Principal | undefined => {
    const key = cacheKey(token);
    const entry = verified.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry.principal.expiresAt * 1000 > atMs) return entry.principal;
    verified.delete(key);
    return undefined;
  };

  return {
    cached: (token) => cached(token, nowMs()),
    async verify(token) {
      const at = new Date(nowMs());
      const known = cached(token, at.getTime());
      if (known) return known;
      let principal: Principal;
      try {
        principal = await check(token, at);
      } catch (error) {
        throw toGraphError(error);
      }
      if (maxEntries > 0 && principal.expiresAt * 1000 > at.getTime()) {
        const key = cacheKey(token);
        if (verified.size >= maxEntries && !verified.has(key)) {
          const oldest = verified.keys().next();
          if (!oldest.done) verified.delete(oldest.value);
        }
        verified.set(key, { token, principal });
      }
      return principal;
    },
  };
}

/** Characters of a token's end (its signature, base64url) that key the verified-token cache. */
const CACHE_KEY_CHARS = 27;

function cacheKey(token: string): string {
  return token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token;
}

/**
 * `jwtVerify`, plus the case jose leaves to the caller: a token without `kid` that several keys
 * of the set could have signed is tried against each of them.
 */
async function verifySignedJwt(
  token: string,
  keys: KeySource,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult<JWTPayload>> {
  try {
    return await jwtVerify(token, keys, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** The one place verification failures become Graph errors: 401 for the token, 503 for keys. */
export function toGraphError(error: unknown): GraphError {
  if (error instanceof GraphError) return error;
  const bad = (message: string) =>
    new GraphError("InvalidAuthenticationToken", message, { cause: error });
  if (error instanceof errors.JOSEError) {
    switch (error.code) {
      case "ERR_JWT_EXPIRED":
        return bad("The token has expired.");
      case "ERR_JWT_CLAIM_VALIDATION_FAILED":
        return bad(claimMessage(error as errors.JWTClaimValidationFailed));
      case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
        return bad("The token's signature is invalid.");
      case "ERR_JWKS_NO_MATCHING_KEY":
      case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
        return bad("The token's signing key is not one of the trusted keys.");
      case "ERR_JOSE_ALG_NOT_ALLOWED":
        return bad("The token's signing algorithm is not allowed.");
      case "ERR_JOSE_NOT_SUPPORTED":
        return bad("The token uses an unsupported algorithm or header.");
      case "ERR_JWS_INVALID":
      case "ERR_JWT_INVALID":
      case "ERR_JWE_INVALID":
      case "ERR_JWE_DECRYPTION_FAILED":
        return bad("The token is malformed.");
      case "ERR_JWKS_TIMEOUT":
        return unavailable("The token signing keys did not arrive in time.", error);
    }
  }
  // JWKSInvalid, JWKInvalid, jose's generic "Expected 200 OK", fetch and discovery failures: the
  // key set could not be obtained or used, which no change to the token can fix.
  return unavailable("The token signing keys are unavailable.", error);
}

function unavailable(message: string, cause: unknown): GraphError {
  return new GraphError("serviceNotAvailable", message, {
    retryAfter: KEY_SET_RETRY_AFTER_SECONDS,
    cause,
  });
}

function claimMessage(error: errors.JWTClaimValidationFailed): string {
  switch (error.claim) {
    case "iss":
      return "The token's issuer is not trusted.";
    case "aud":
      return "The token's audience is not accepted.";
    case "nbf":
      return "The token is not yet valid.";
    case "exp":
      return "The token has no valid expiry (exp) claim.";
    default:
      return `The token's "${error.claim}" claim is invalid.`;
  }
}
