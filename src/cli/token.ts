/** `portrait token`: mints a development token for a directory user or for an application. */
import type { MintOptions } from "../auth/dev-issuer.ts";
import { loadDevIssuer } from "../auth/dev-issuer.ts";
import { ADMIN_ROLE_IDS } from "../auth/principal.ts";
import { type Config, loadConfig } from "../config.ts";
import { findUser } from "../directory/users.ts";
import { openStore } from "../storage/open-store.ts";

export const TOKEN_HELP = `Usage: portrait token (--user <upn|id> [--scopes <list>] [--admin] | --app [--roles <list>])
                      [--tenant <id>] [--lifetime <seconds>]

Prints an access token signed by the development issuer of DATA_DIR (only when no AUTH_*
setting is given). Run it with the service's settings: the token's issuer is the service's
PUBLIC_URL (or http://HOST:PORT), and --user is looked up in its DATABASE_URL. The service's
startup log prints the command for its settings. Lists are comma- or space-separated.
  --user alice@contoso.com   a delegated token for that directory user (looked up by UPN or id)
  --scopes User.ReadWrite    delegated permissions (scp); default User.ReadWrite
  --admin                    add the Global Administrator role (wids)
  --app                      an application token (no user)
  --roles User.ReadWrite.All application permissions (roles); default User.ReadWrite.All
  --tenant <id>              another tenant than the issuer's own
  --lifetime 3600            seconds until the token expires

Examples:
  TOKEN=$(npx portrait token --app --roles User.ReadWrite.All,Group.ReadWrite.All)
  TOKEN=$(npx portrait token --user alice@contoso.com --scopes User.ReadWrite)`;

export interface TokenArgs {
  user?: string | undefined;
  app?: boolean | undefined;
  scopes?: string | undefined;
  roles?: string | undefined;
  admin?: boolean | undefined;
  tenant?: string | undefined;
  lifetime?: string | undefined;
}

/**
 * The command that mints an application token this service accepts, as the startup log prints
 * it: the settings that decide the token's issuer and signing key (PUBLIC_URL, DATA_DIR) are
 * given when they are not what the command would take by default.
 */
export function tokenCommandHint(config: Readonly<Pick<Config, "dataDir" | "publicUrl">>): string {
  const defaults = loadConfig({});
  const settings = [
    config.publicUrl === defaults.publicUrl ? "" : `PUBLIC_URL=${shellWord(config.publicUrl)} `,
    config.dataDir === defaults.dataDir ? "" : `DATA_DIR=${shellWord(config.dataDir)} `,
  ].join("");
  return `TOKEN=$(${settings}npx portrait token --app --roles User.ReadWrite.All)`;
}

/** `value` as one word of a POSIX shell command line. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

const list = (value: string | undefined, fallback: string): string[] =>
  (value ?? fallback).split(/[\s,]+/).filter((item) => item !== "");

export async function mintToken(config: Readonly<Config>, args: TokenArgs): Promise<string> {
  if (!config.auth.devIssuer) {
    throw new Error(
      "AUTH_* is set, so tokens come from that issuer; the development issuer is off.",
    );
  }
  if (Boolean(args.app) === (args.user !== undefined)) {
    throw new Error("Give exactly one of --user <upn|id> and --app (see --help).");
  }
  const lifetimeSeconds = args.lifetime === undefined ? 3600 : Number(args.lifetime);
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1) {
    throw new Error("--lifetime takes a whole number of seconds.");
  }
  const issuer = await loadDevIssuer({
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    create: false,
  });
  const tenantId = args.tenant ?? issuer.tenantId;
  const options: MintOptions = { tenantId, lifetimeSeconds };
  if (args.app) {
    return issuer.mint({ ...options, app: true, roles: list(args.roles, "User.ReadWrite.All") });
  }
  const key = args.user ?? "";
  const store = await openStore(config);
  try {
    const user = await findUser(store, tenantId, key);
    if (!user) {
      throw new Error(
        `No user '${key}' in tenant ${tenantId}. Create it first (POST /v1.0/users or 'portrait seed').`,
      );
    }
    return issuer.mint({
      ...options,
      user: user.id,
      scopes: list(args.scopes, "User.ReadWrite"),
      adminRoles: args.admin ? [[...ADMIN_ROLE_IDS][0] ?? ""] : [],
    });
  } finally {
    await store.close();
  }
}
