/**
 * `portrait seed <file.json>`: creates directory objects through the same rules as the Graph
 * calls. The whole file's shape is checked before anything is written; an entry the directory
 * refuses stops the run there, named. Users whose userPrincipalName exists already are left as
 * they are, so a file can be applied again after a fix; groups and contacts are created anew
 * each time.
 */
import { readFile } from "node:fs/promises";
import { loadDevIssuer } from "../auth/dev-issuer.ts";
import type { Principal } from "../auth/principal.ts";
import type { Config } from "../config.ts";
import { createContactDirectory } from "../directory/contacts.ts";
import { createGroupDirectory } from "../directory/groups.ts";
import { createUserDirectory, findUser } from "../directory/users.ts";
import { openStore } from "../storage/open-store.ts";

export const SEED_HELP = `Usage: portrait seed <file.json> [--tenant <id>]

Creates users, groups and contacts from a JSON file in the store of DATA_DIR / DATABASE_URL:
  {
    "users":    [{ "displayName": "Alice", "userPrincipalName": "alice@contoso.com" }],
    "groups":   [{ "displayName": "Sales", "mailNickname": "sales",
                   "owners": ["alice@contoso.com"] }],
    "contacts": [{ "user": "alice@contoso.com", "displayName": "Bob", "givenName": "Bob" }]
  }
Objects take the same properties as POST /v1.0/users, /groups and /users/{id}/contacts.
Users whose userPrincipalName exists are skipped; groups and contacts are created each run.
The file's shape is checked first; an entry refused by the directory stops the run, named
(entries before it stay created). --tenant defaults to the development issuer's tenant
(required when AUTH_* is set).`;

interface SeedFile {
  users?: Record<string, unknown>[];
  groups?: (Record<string, unknown> & { owners?: string[] })[];
  contacts?: (Record<string, unknown> & { user?: string })[];
}

export async function seedDirectory(
  config: Readonly<Config>,
  files: string[],
  args: { tenant?: string | undefined },
): Promise<number> {
  if (files.length !== 1) {
    console.error(SEED_HELP);
    return 2;
  }
  const seed = readSeedFile(JSON.parse(await readFile(files[0] ?? "", "utf8")));
  let tenantId = args.tenant;
  if (tenantId === undefined) {
    if (!config.auth.devIssuer) throw new Error("--tenant is required when AUTH_* is set.");
    tenantId = (await loadDevIssuer(config)).tenantId;
  }
  const principal: Principal = {
    kind: "app",
    tenantId: tenantId.toLowerCase(),
    userId: undefined,
    appId: "portrait-seed",
    permissions: new Set(["User.ReadWrite.All", "Group.ReadWrite.All", "Contacts.ReadWrite"]),
    isAdmin: false,
    subject: "app:portrait-seed",
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
  const store = await openStore(config);
  try {
    const users = createUserDirectory(store);
    const groups = createGroupDirectory(store);
    const contacts = createContactDirectory(store);
    const counts = { users: 0, skipped: 0, groups: 0, contacts: 0 };
    for (const [index, user] of (seed.users ?? []).entries()) {
      const upn = String(user.userPrincipalName ?? "");
      if (await findUser(store, principal.tenantId, upn)) {
        counts.skipped += 1;
        continue;
      }
      const created = await entry(`users[${index}]`, () => users.create(principal, user));
      counts.users += 1;
      console.log(`user    ${created.id}  ${upn}`);
    }
    for (const [index, { owners, ...group }] of (seed.groups ?? []).entries()) {
      const binds = (owners ?? []).map(
        (owner) => `${config.publicUrl}/v1.0/users/${encodeURIComponent(owner)}`,
      );
      const created = await entry(`groups[${index}]`, () =>
        groups.create(principal, { ...group, "owners@odata.bind": binds }),
      );
      counts.groups += 1;
      console.log(`group   ${created.id}  ${String(group.displayName)}`);
    }
    for (const [index, { user, ...contact }] of (seed.contacts ?? []).entries()) {
      const mailbox = { user: { me: false as const, key: String(user) } };
      const created = await entry(`contacts[${index}]`, () =>
        contacts.createContact(principal, mailbox, contact),
      );
      counts.contacts += 1;
      console.log(`contact ${created.id}  ${String(contact.displayName ?? "")} (of ${user})`);
    }
    console.log(
      `Seeded tenant ${principal.tenantId}: ${counts.users} users (${counts.skipped} existed), ` +
        `${counts.groups} groups, ${counts.contacts} contacts.`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** Runs one entry's creation; a refusal names the entry. */
async function entry<T>(place: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    throw new Error(`${place}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The file's shape, checked whole before anything is written; a fault names its place. */
function readSeedFile(parsed: unknown): SeedFile {
  if (!isObject(parsed)) throw new Error("the seed file must be a JSON object");
  for (const key of Object.keys(parsed)) {
    if (key !== "users" && key !== "groups" && key !== "contacts") {
      throw new Error(`unknown key '${key}': a seed file has users, groups and contacts`);
    }
  }
  for (const key of ["users", "groups", "contacts"] as const) {
    const list = parsed[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`${key} must be a list`);
    for (const [index, item] of list.entries()) {
      if (!isObject(item)) throw new Error(`${key}[${index}] must be an object`);
      const { owners, user } = item;
      if (
        key === "groups" &&
        owners !== undefined &&
        !(Array.isArray(owners) && owners.every((owner) => typeof owner === "string"))
      ) {
        throw new Error(`groups[${index}].owners must be a list of userPrincipalNames or ids`);
      }
      if (key === "contacts" && (typeof user !== "string" || user === "")) {
        throw new Error(`contacts[${index}].user must name the user whose contact it is`);
      }
    }
  }
  return parsed as SeedFile;
}
