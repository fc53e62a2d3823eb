/**
 * `$filter` on users and groups: eq, ne, in and startswith joined by and/or, strings compared
 * without regard to case, paged like any listing; what it does not read answers 400.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DirectoryClient } from "../helpers/directory-client.ts";
import { describeDirectory } from "../helpers/directory-suite.ts";

/** The displayNames a filtered listing of `set` returns over every page, in order. */
async function names(d: DirectoryClient, set: string, filter: string, top?: number) {
  const found: unknown[] = [];
  let next: string | undefined =
    `/${set}?$filter=${encodeURIComponent(filter)}${top ? `&$top=${top}` : ""}`;
  let pages = 0;
  while (next !== undefined) {
    const page = await d.json(next);
    pages++;
    found.push(...page.value.map((view) => view.displayName));
    const link = page["@odata.nextLink"];
    next =
      typeof link === "string"
        ? `${new URL(link).pathname.replace(/^\/(v1\.0|beta)/, "")}${new URL(link).search}`
        : undefined;
  }
  return { found, pages };
}

describeDirectory((d) => {
  describe("$filter", () => {
    test("eq, ne, in, startswith, null and booleans; and binds before or", async () => {
      await d.newUser("Fil Alpha", {
        userPrincipalName: "fil.alpha@contoso.test",
        jobTitle: "Dev",
      });
      await d.newUser("Fil Beta", {
        userPrincipalName: "fil.beta@contoso.test",
        accountEnabled: false,
      });
      await d.newUser("Fil O'Hara", {
        userPrincipalName: "fil.ohara@contoso.test",
        jobTitle: "Ops",
      });
      const cases: [string, string[]][] = [
        ["userPrincipalName eq 'FIL.ALPHA@contoso.test'", ["Fil Alpha"]],
        ["displayName eq 'Fil O''Hara'", ["Fil O'Hara"]],
        ["startswith(displayName,'fil ') and jobTitle ne 'Dev'", ["Fil Beta", "Fil O'Hara"]],
        ["displayName in ('Fil Beta', 'fil alpha')", ["Fil Alpha", "Fil Beta"]],
        ["startswith(displayName,'Fil') and jobTitle eq null", ["Fil Beta"]],
        ["startswith(displayName,'Fil') and accountEnabled eq false", ["Fil Beta"]],
        [
          "jobTitle eq 'Ops' or startswith(displayName,'Fil') and jobTitle eq 'Dev'",
          ["Fil Alpha", "Fil O'Hara"],
        ],
        [
          "(jobTitle eq 'Ops' or jobTitle eq 'Dev') and startswith(displayName,'Fil A')",
          ["Fil Alpha"],
        ],
        ["displayName eq 'Nobody at all'", []],
      ];
      for (const [filter, expected] of cases) {
        assert.deepEqual((await names(d, "users", filter)).found, expected, filter);
      }
    });

    test("a filtered listing pages: up to $top matches a page, the filter in every next link", async () => {
      for (let i = 0; i < 7; i++) {
        await d.newUser(`Paged match ${i}`);
        await d.newUser(`Paged other ${i}`);
      }
      const { found, pages } = await names(d, "users", "startswith(displayName,'Paged match')", 3);
      assert.deepEqual(
        found,
        [0, 1, 2, 3, 4, 5, 6].map((i) => `Paged match ${i}`),
      );
      assert.equal(pages, 3);
    });

    test("a match far down the directory is found on the first page", async () => {
      for (let i = 0; i < 520; i++) await d.newUser(`Crowd ${i}`);
      await d.newUser("Needle");
      const first = await d.json(`/users?$filter=${encodeURIComponent("displayName eq 'Needle'")}`);
      assert.deepEqual(
        first.value.map((view) => view.displayName),
        ["Needle"],
      );
    });

    test("groups take the same filters", async () => {
      await d.created("/groups", {
        displayName: "Filter Group",
        mailNickname: "filtergroup",
        mailEnabled: false,
        securityEnabled: true,
      });
      assert.deepEqual((await names(d, "groups", "mailNickname eq 'FILTERGROUP'")).found, [
        "Filter Group",
      ]);
    });

    test("what it does not read: 400 BadRequest naming it", async () => {
      for (const [filter, message] of [
        ["favouriteColour eq 'blue'", /Could not find a property named 'favouriteColour'/],
        ["displayName gt 'a'", /^Unsupported \$filter: the operator 'gt'/],
        ["not startswith(displayName,'a')", /^Unsupported \$filter: 'not'/],
        ["endswith(mail,'@contoso.test')", /^Unsupported \$filter: the function 'endswith'/],
        ["displayName eq 'open", /^Invalid \$filter: a 'quoted string' is not closed/],
        ["displayName eq", /^Invalid \$filter: it ends too early/],
        ["displayName eq 'a' 'b'", /^Unsupported \$filter: 'b' where the filter should end/],
        [`${"(".repeat(40)}displayName eq 'a'${")".repeat(40)}`, /nests too deeply/],
        ["", /^Invalid \$filter: it is empty/],
      ] as const) {
        const response = await d.expect(
          "GET",
          `/users?$filter=${encodeURIComponent(filter)}`,
          "400 BadRequest",
        );
        assert.match(response.json().error.message, message, filter);
      }
    });

    test("up to 100 comparisons and values; a longer filter is 400, even inside a batch", async () => {
      const user = await d.newUser("Many terms");
      const terms = (n: number) =>
        [`id eq '${user.id}'`, ...Array(n - 1).fill("displayName ne null")].join(" and ");
      const page = await d.json(`/users?$filter=${encodeURIComponent(terms(100))}`);
      assert.deepEqual(
        page.value.map((view) => view.id),
        [user.id],
      );
      const list = Array.from({ length: 100 }, (_, i) => `'v${i}'`).join(",");
      await d.expect(
        "GET",
        `/users?$filter=${encodeURIComponent(`displayName in (${list})`)}`,
        "200",
      );
      for (const count of [101, 20_000]) {
        const filter = encodeURIComponent(terms(count));
        const batch = await d.call("POST", "/$batch", d.app, {
          requests: [{ id: "1", method: "GET", url: `/users?$filter=${filter}` }],
        });
        const [answer] = batch.json().responses;
        assert.equal(answer.status, 400, `${count} terms`);
        assert.match(answer.body.error.message, /more than 100 comparisons and values/);
      }
    });
  });
});
