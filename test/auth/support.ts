/** Shared helpers for the auth tests: real keys, real signing, a real local HTTP server. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";

export const ISSUER = "https://login.example.test/tenant-a/v2.0";
export const AUDIENCE = "api://portrait";
export const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
export const USER = "00000000-0000-0000-0000-00000000000A";
export const APP = "11111111-2222-3333-4444-555555555555";

export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use`. */
  jwk: JWK;
}

export async function makeKey(alg: "ES256" | "RS256" | "PS256", kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const { kty, crv, x, y, n, e } = await exportJWK(publicKey);
  const jwk: JWK = { kty, crv, x, y, n, e, kid, alg, use: "sig" };
  for (const name of Object.keys(jwk) as (keyof JWK)[]) {
    if (jwk[name] === undefined) delete jwk[name];
  }
  return { alg, kid, privateKey, jwk };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Claims of a good delegated token; override or drop (`undefined`) any of them. */
export function delegatedClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSeconds();
  return withOverrides(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      tid: TENANT,
      oid: USER,
      sub: "pairwise-subject",
      azp: APP,
      scp: "User.Read ProfilePhoto.ReadWrite.All",
      wids: ["62e90394-69f5-4237-9190-012177145e10"],
      iat: now,
      nbf: now,
      exp: now + 3600,
    },
    overrides,
  );
}

export function appClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSeconds();
  return withOverrides(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      tid: TENANT,
      sub: "service-principal",
      azp: APP,
      idtyp: "app",
      roles: ["User.Read.All", "ProfilePhoto.ReadWrite.All"],
      iat: now,
      nbf: now,
      exp: now + 3600,
    },
    overrides,
  );
}

export async function sign(
  key: TestKey,
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

export interface TestServer {
  url: string;
  /** Requests received, by path. */
  hits: string[];
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1, on a free port. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? "");
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function sendJson(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function withOverrides(base: JWTPayload, overrides: Record<string, unknown>): JWTPayload {
  const claims: Record<string, unknown> = { ...base, ...overrides };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[name];
  }
  return claims;
}
