/**
 * Who is calling: built from a verified token's claims. Pure: no jose, no HTTP.
 * Delegated tokens act for a user (`scp`); application tokens act for an app (`roles`).
 * A token is an application token when `idtyp` says so or, without `idtyp` (an optional claim
 * in Microsoft Entra ID), when it has no `scp`: Entra's app-only tokens carry the service
 * principal's `oid` and `sub` too, so a user claim alone does not make a token delegated.
 */
import { GraphError } from "../errors.ts";

export interface Principal {
  kind: "delegated" | "app";
  tenantId: string;
  /** The signed-in user's object id (lower case); undefined for application tokens. */
  userId: string | undefined;
  /** The client application (`azp` / `appid`), when the token names it. */
  appId: string | undefined;
  /** `scp` of a delegated token or `roles` of an application token, matched exactly. */
  permissions: ReadonlySet<string>;
  /** Delegated caller holds a directory admin role (from `wids`). */
  isAdmin: boolean;
  /** Stable id of the caller for rate limiting and logs. */
  subject: string;
  /** `exp` in seconds since the epoch. */
  expiresAt: number;
}

/** Global Administrator, User Administrator, People Administrator role template ids. */
export const ADMIN_ROLE_IDS: ReadonlySet<string> = new Set([
  "62e90394-69f5-4237-9190-012177145e10",
  "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "024906de-61e5-49c8-8572-40335f1e0e10",
]);

export type Claims = Record<string, unknown>;

const invalid = (why: string) => new GraphError("InvalidAuthenticationToken", why);

/** Builds the principal from verified claims; 401 when the claims do not describe a caller. */
export function principalFromClaims(claims: Claims, userClaim = "oid"): Principal {
  const tenantId = stringClaim(claims, "tid");
  if (!tenantId) throw invalid("The token has no tenant (tid) claim.");
  const exp = claims.exp;
  if (typeof exp !== "number") throw invalid("The token has no expiry (exp) claim.");
  const appId = stringClaim(claims, "azp") ?? stringClaim(claims, "appid");
  const user = stringClaim(claims, userClaim);
  const scp = typeof claims.scp === "string" ? claims.scp : undefined;
  const isApp = claims.idtyp === "app" || (claims.idtyp !== "user" && scp === undefined);

  if (isApp) {
    const roles = Array.isArray(claims.roles)
      ? claims.roles.filter((role): role is string => typeof role === "string")
      : [];
    const subject = appId ?? stringClaim(claims, "sub") ?? "app";
    return {
      kind: "app",
      tenantId: tenantId.toLowerCase(),
      userId: undefined,
      appId,
      permissions: new Set(roles),
      isAdmin: false,
      subject: `app:${subject}`,
      expiresAt: exp,
    };
  }
  if (!user) throw invalid(`The delegated token has no user (${userClaim}) claim.`);
  const wids = Array.isArray(claims.wids) ? claims.wids : [];
  return {
    kind: "delegated",
    tenantId: tenantId.toLowerCase(),
    userId: user.toLowerCase(),
    appId,
    permissions: new Set((scp ?? "").split(" ").filter((scope) => scope !== "")),
    isAdmin: wids.some((id) => typeof id === "string" && ADMIN_ROLE_IDS.has(id.toLowerCase())),
    subject: `user:${user.toLowerCase()}`,
    expiresAt: exp,
  };
}

function stringClaim(claims: Claims, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}
