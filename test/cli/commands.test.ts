/**
 * The `portrait` command as an operator runs it (a process of its own): help, exit statuses,
 * `seed` into a data directory and `token` for a seeded user, checked through the HTTP API of a
 * service on that same directory.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildApp } from "../../src/app.ts";
import { assemble } from "../../src/assemble.ts";
import { loadConfig } from "../../src/config.ts";
import { makeJpeg } from "../helpers/images.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const PUBLIC_URL = "http://portrait.test";

let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "portrait-cli-"));
});
after(() => rm(dataDir, { recursive: true, force: true }));

/** Runs `portrait <args>` on the data directory; its status and output. */
function portrait(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DATA_DIR: dataDir,
      PUBLIC_URL,
    },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A request to a service on the same data directory, with `token`; a JSON body is parsed. */
async function call(
  method: "GET" | "PUT",
  path: string,
  token: string,
  payload?: Buffer,
): Promise<{ status: number; body: unknown }> {
  const assembly = await assemble(loadConfig({ DATA_DIR: dataDir, PUBLIC_URL }));
  const app = await buildApp(assembly.parts);
  try {
    const response = await app.inject({
      method,
      url: path,
      headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
      ...(payload && { payload }),
    });
    const json = String(response.headers["content-type"]).startsWith("application/json");
    return { status: response.statusCode, body: json ? response.json() : response.body };
  } finally {
    await app.close();
    await assembly.close();
  }
}

const SEED = {
  users: [
    { displayName: "Alice", userPrincipalName: "alice@contoso.com" },
    { displayName: "Bob", userPrincipalName: "bob@contoso.com" },
  ],
  groups: [{ displayName: "Sales", mailNickname: "sales", owners: ["alice@contoso.com"] }],
  contacts: [{ user: "alice@contoso.com", displayName: "Carol", givenName: "Carol" }],
};

describe("the portrait command", () => {
  test("help and unknown commands", () => {
    const help = portrait("--help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Commands:[\s\S]*serve[\s\S]*token[\s\S]*seed/);
    for (const command of ["serve", "token", "seed"]) {
      const own = portrait(command, "--help");
      assert.equal(own.status, 0, own.stderr);
      assert.match(own.stdout, new RegExp(`^Usage: portrait ${command}`));
    }
    const unknown = portrait("bogus");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown command 'bogus'/);
  });

  test("seed creates the directory, skips users that exist, and token signs in as one", async () => {
    const file = join(dataDir, "seed.json");
    await writeFile(file, JSON.stringify(SEED));
    const first = portrait("seed", file);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /2 users \(0 existed\), 1 groups, 1 contacts/);
    const again = portrait("seed", file);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 users \(2 existed\), 1 groups, 1 contacts/);

    const token = portrait("token", "--user", "alice@contoso.com", "--scopes", "User.Read.All");
    assert.equal(token.status, 0, token.stderr);
    const users = await call("GET", "/v1.0/users?$select=userPrincipalName", token.stdout.trim());
    assert.equal(users.status, 200, JSON.stringify(users.body));
    const names = (users.body as { value: { userPrincipalName: string }[] }).value
      .map((user) => user.userPrincipalName)
      .sort();
    assert.deepEqual(names, ["alice@contoso.com", "bob@contoso.com"]);

    const app = portrait("token", "--app", "--roles", "Group.Read.All,Contacts.Read");
    assert.equal(app.status, 0, app.stderr);
    const groups = await call("GET", "/v1.0/groups", app.stdout.trim());
    assert.equal(groups.status, 200, JSON.stringify(groups.body));
    const sales = (groups.body as { value: { id: string; displayName: string }[] }).value;
    assert.deepEqual(
      sales.map((group) => group.displayName),
      ["Sales", "Sales"],
      "groups are not deduplicated: each seed run created one",
    );
    // Alice owns the group (the seed file says so), Bob does not: only an owner may write its
    // photo with a delegated token.
    const photo = `/v1.0/groups/${sales[0]?.id}/photo/$value`;
    const jpeg = await makeJpeg(64, 64);
    for (const [upn, status] of [
      ["bob@contoso.com", 403],
      ["alice@contoso.com", 200],
    ] as const) {
      const delegated = portrait("token", "--user", upn, "--scopes", "Group.ReadWrite.All");
      assert.equal(delegated.status, 0, delegated.stderr);
      const put = await call("PUT", photo, delegated.stdout.trim(), jpeg);
      assert.equal(put.status, status, `${upn}: ${JSON.stringify(put.body)}`);
    }
    const contacts = await call("GET", "/v1.0/users/alice@contoso.com/contacts", app.stdout.trim());
    assert.equal(contacts.status, 200, JSON.stringify(contacts.body));
    assert.deepEqual(
      (contacts.body as { value: { displayName: string }[] }).value.map((c) => c.displayName),
      ["Carol", "Carol"],
    );
  });

  test("seed without a file, or with a broken one, fails clearly and stores nothing", async () => {
    const token = portrait("token", "--app", "--roles", "User.Read.All").stdout.trim();
    const users = async () =>
      ((await call("GET", "/v1.0/users", token)).body as { value: [] }).value;
    const before = await users();
    const none = portrait("seed");
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^Usage: portrait seed/);
    const broken = join(dataDir, "broken.json");
    await writeFile(broken, '{"users": [{"displayName": "Dan", ');
    const result = portrait("seed", broken);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^portrait: .*JSON/);
    const missing = portrait("seed", join(dataDir, "missing.json"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^portrait: ENOENT/);
    assert.deepEqual(await users(), before);
  });

  test("seed checks the whole file's shape first, and names a refused entry", async () => {
    const token = portrait("token", "--app", "--roles", "User.Read.All").stdout.trim();
    const users = async () =>
      ((await call("GET", "/v1.0/users?$top=999", token)).body as { value: [] }).value.length;
    const before = await users();
    const good = { displayName: "Shape", userPrincipalName: "shape@contoso.com" };
    for (const [content, message] of [
      [[], /must be a JSON object/],
      [{ user: [good] }, /unknown key 'user'/],
      [{ users: {} }, /users must be a list/],
      [{ users: [good, null] }, /users\[1\] must be an object/],
      [{ users: [good], groups: [{ displayName: "G", owners: "x" }] }, /groups\[0\]\.owners/],
      [{ users: [good], contacts: [{ displayName: "C" }] }, /contacts\[0\]\.user/],
    ] as const) {
      const file = join(dataDir, "shape.json");
      await writeFile(file, JSON.stringify(content));
      const result = portrait("seed", file);
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, message);
    }
    assert.equal(await users(), before, "nothing written by a file of the wrong shape");
    const refused = join(dataDir, "refused.json");
    await writeFile(refused, JSON.stringify({ users: [good, { userPrincipalName: "no name" }] }));
    const result = portrait("seed", refused);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /users\[1\]: /);
  });

  test("token where no service has run fails, naming the folder, and makes no key", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "portrait-no-issuer-"));
    try {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", "src/cli.ts", "token", "--app"],
        {
          cwd: projectRoot,
          env: { PATH: process.env.PATH ?? "", DATA_DIR: elsewhere, PUBLIC_URL },
          encoding: "utf8",
        },
      );
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`No development issuer in ${elsewhere}`));
      assert.deepEqual(await readdir(elsewhere), [], "no key was made");
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
