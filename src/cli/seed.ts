/**
 * `portrait seed <file.json>`: creates directory objects through the same rules as the Graph
 * calls. Users whose userPrincipalName exists already are left as they are, so a seed file can
 * be applied again.
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
Users whose userPrincipalName exists are skipped. --tenant defaults to the development
issuer's tenant (required when AUTH_* is set).`;

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
  const seed = JSON.parse(await readFile(files[0] ?? "", "utf8")) as SeedFile;
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
    for (const user of seed.users ?? []) {
      const upn = String(user.userPrincipalName ?? "");
      if (await findUser(store, principal.tenantId, upn)) {
        counts.skipped += 1;
        continue;
      }
      const created = await users.create(principal, user);
      counts.users += 1;
      console.log(`user    ${created.id}  ${upn}`);
    }
    for (const { owners, ...group } of seed.groups ?? []) {
      const binds = (owners ?? []).map(
        (owner) => `${config.publicUrl}/v1.0/users/${encodeURIComponent(owner)}`,
      );
      const created = await groups.create(principal, { ...group, "owners@odata.bind": binds });
      counts.groups += 1;
      console.log(`group   ${created.id}  ${String(group.displayName)}`);
    }
    for (const { user, ...contact } of seed.contacts ?? []) {
      const mailbox = { user: { me: false as const, key: String(user) } };
      const created = await contacts.createContact(principal, mailbox, contact);
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
