/**
 * A real Portrait for tests: the production wiring (`assemble` + `buildApp`) on a temporary data
 * directory, with the development issuer to mint tokens. Use `inject()` or `listen()`.
 * The store is SQLite in that directory, or, when `PORTRAIT_TEST_DATABASE_URL` is set (the
 * PostgreSQL pass of `npm test`), PostgreSQL in a schema made for this service and dropped by
 * `close()`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.ts";
import { type Assembly, assemble } from "../../src/assemble.ts";
import type { DevIssuer } from "../../src/auth/dev-issuer.ts";
import { ADMIN_ROLE_IDS } from "../../src/auth/principal.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Store } from "../../src/photos/store.ts";
import { dropSchema, freshSchemaName } from "./postgres.ts";

export interface TestService {
  app: FastifyInstance;
  config: Readonly<Config>;
  store: Store;
  issuer: DevIssuer;
  dataDir: string;
  /** An application token with these roles (default: every write role). */
  appToken(roles?: string[], tenantId?: string): Promise<string>;
  /** A delegated token for `userId` with these scopes. */
  userToken(userId: string, scopes: string[], options?: { admin?: boolean }): Promise<string>;
  /** Creates a user through the API and returns its id. */
  createUser(upn: string, extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export const ALL_APP_ROLES = [
  "User.ReadWrite.All",
  "Group.ReadWrite.All",
  "Contacts.ReadWrite",
  "TeamSettings.ReadWrite.All",
];

/** The store settings of one test service: PostgreSQL in a fresh schema, or none (SQLite). */
function storeEnv(): Record<string, string> {
  const url = process.env.PORTRAIT_TEST_DATABASE_URL;
  if (!url) return {};
  return {
    DATABASE_URL: url,
    PG_SCHEMA: freshSchemaName(),
    PG_POOL_SIZE: "4",
    PG_CONNECT_RETRIES: "0",
  };
}

/** Environment for the service; DATA_DIR is always a fresh temporary directory. */
export async function startService(
  env: Record<string, string> = {},
  options: { logStream?: { write(line: string): void } } = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), "portrait-test-"));
  const store = storeEnv();
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    PUBLIC_URL: "http://portrait.test",
    ...store,
    ...env,
  });
  /** The schema this helper made and must drop (not one a test named itself). */
  const ownSchema =
    config.database.kind === "postgres" && config.postgres.schema === store.PG_SCHEMA
      ? store.PG_SCHEMA
      : undefined;
  const cleanUp = async () => {
    if (ownSchema) await dropSchema(ownSchema);
    await rm(dataDir, { recursive: true, force: true });
  };
  let assembly: Assembly;
  try {
    assembly = await assemble(config);
  } catch (error) {
    await cleanUp().catch(() => {
      // The startup error says more than a failed clean-up would.
    });
    throw error;
  }
  const issuer = assembly.devIssuer;
  if (!issuer) throw new Error("tests expect the development issuer");
  const app = await buildApp({
    ...assembly.parts,
    ...(options.logStream && { logger: { level: config.logLevel, stream: options.logStream } }),
  });
  const service: TestService = {
    app,
    config,
    store: assembly.parts.store,
    issuer,
    dataDir,
    appToken: (roles = ALL_APP_ROLES, tenantId) =>
      issuer.mint({ app: true, roles, ...(tenantId && { tenantId }) }),
    userToken: (userId, scopes, options = {}) =>
      issuer.mint({
        user: userId,
        scopes,
        adminRoles: options.admin ? [...ADMIN_ROLE_IDS].slice(0, 1) : [],
      }),
    async createUser(upn, extra = {}) {
      const response = await app.inject({
        method: "POST",
        url: "/v1.0/users",
        headers: { authorization: `Bearer ${await service.appToken()}` },
        payload: { displayName: upn.split("@")[0], userPrincipalName: upn, ...extra },
      });
      if (response.statusCode !== 201) throw new Error(`createUser: ${response.body}`);
      return response.json().id as string;
    },
    async close() {
      await app.close();
      await assembly.close();
      await cleanUp();
    },
  };
  return service;
}
