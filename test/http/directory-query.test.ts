/**
 * OData query options on directory reads: `$select`, and paging of collections with `$top` and
 * `@odata.nextLink` (`$skiptoken` for users and groups, `$skip` for contacts); other options
 * answer 400.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DirectoryClient, View } from "../helpers/directory-client.ts";
import { describeDirectory } from "../helpers/directory-suite.ts";

const BAD_REQUEST = "400 BadRequest";

/** The path and query of a next link, without the service's URL and version. */
function nextPath(d: DirectoryClient, link: unknown): string {
  assert.equal(typeof link, "string", "expected an @odata.nextLink");
  const url = new URL(link as string);
  assert.equal(url.origin, new URL(d.context("users")).origin);
  return `${url.pathname}${url.search}`.replace(/^\/(v1\.0|beta)/, "");
}

/** Every page from `path` on: the objects in order and how many pages there were. */
async function allPages(
  d: DirectoryClient,
  path: string,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let next: string | undefined = path;
  while (next !== undefined) {
    const page = await d.json(next);
    pages++;
    ids.push(...page.value.map((view) => view.id));
    next = page["@odata.nextLink"] === undefined ? undefined : nextPath(d, page["@odata.nextLink"]);
  }
  return { ids, pages };
}

describeDirectory((d) => {
  describe("$select", () => {
    test("on a user and on /users: only the selected properties, unset ones as null", async () => {
      const user = await d.newUser("Selected", { jobTitle: "Engineer" });
      const one = await d.json(`/users/${user.id}?$select=displayName,jobTitle,department`);
      assert.deepEqual(one, {
        "@odata.context": d.context("users/$entity"),
        displayName: "Selected",
        jobTitle: "Engineer",
        department: null,
      });
      const list = await d.json("/users?%24SELECT=ID,displayName&$top=999");
      const mine = list.value.find((view) => view.id === user.id);
      assert.deepEqual(mine, { id: user.id, displayName: "Selected" });
      for (const view of list.value) assert.deepEqual(Object.keys(view), ["id", "displayName"]);
    });

    test("Graph properties Portrait does not keep: selectable, null or [], not filterable", async () => {
      const user = await d.newUser("Unkept");
      const select = "$select=id,userType,otherMails,createdDateTime,proxyAddresses";
      const expected = {
        id: user.id,
        userType: null,
        otherMails: [],
        createdDateTime: null,
        proxyAddresses: [],
      };
      const { "@odata.context": _, ...one } = await d.json(`/users/${user.id}?${select}`);
      assert.deepEqual(one, expected);
      const listed = (await d.json(`/users?${select}&$top=999`)).value;
      assert.deepEqual(
        listed.find((view) => view.id === user.id),
        expected,
      );
      const group = await d.created("/groups", { displayName: "Unkept", mailNickname: "unkept" });
      const { "@odata.context": __, ...teamish } = await d.json(
        `/groups/${group.id}?$select=id,resourceProvisioningOptions,createdDateTime`,
      );
      assert.deepEqual(teamish, {
        id: group.id,
        resourceProvisioningOptions: [],
        createdDateTime: null,
      });
      const filtered = await d.expect(
        "GET",
        `/users?$filter=${encodeURIComponent("userType eq 'Guest'")}`,
        BAD_REQUEST,
      );
      assert.match(filtered.json().error.message, /'userType', which Portrait does not keep/);
      await d.expect("PATCH", `/users/${user.id}`, "400 Request_BadRequest", {
        body: { userType: "Guest" },
      });
    });

    test("a property the type does not have, or an empty list: 400", async () => {
      const response = await d.expect(
        "GET",
        "/users?$select=displayName,favouriteColour",
        BAD_REQUEST,
      );
      assert.equal(
        response.json().error.message,
        "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
      );
      await d.expect("GET", "/groups?$select=__proto__", BAD_REQUEST);
      await d.expect("GET", "/users?$select=", BAD_REQUEST);
    });
  });

  describe("options Portrait does not support", () => {
    test("$orderby, $count, $search, $expand, a repeated option: 400, not ignored", async () => {
      for (const query of [
        "$orderby=displayName",
        "$count=true",
        "$search=%22displayName:a%22",
        "$expand=memberOf",
        "$top=1&$top=2",
        "$skip=1",
      ]) {
        const response = await d.expect("GET", `/users?${query}`, BAD_REQUEST);
        assert.match(response.json().error.message, /\$\w+/);
      }
      await d.expect("GET", "/me/contacts?$skiptoken=abc", BAD_REQUEST);
      await d.expect("GET", "/me/contacts?$filter=displayName%20eq%20'a'", BAD_REQUEST);
    });

    test("without their $: options under /beta, as Graph documents; ignored under /v1.0", async () => {
      const beta = d.context("users").includes("/beta/");
      const user = await d.newUser("Plain", { jobTitle: "Plain" });
      await d.expect("PUT", `/users/${user.id}/photo/$value`, "200", { body: d.jpeg });
      const page = await d.json(`/users?filter=id%20eq%20'${user.id}'&Select=id,jobTitle&top=1`);
      const photo = await d.json(`/users/${user.id}/photo?select=width`);
      if (beta) {
        assert.deepEqual(page.value, [{ id: user.id, jobTitle: "Plain" }]);
        assert.deepEqual(Object.keys(photo), [
          "@odata.context",
          "@odata.mediaContentType",
          "@odata.mediaEtag",
          "width",
        ]);
        await d.expect("GET", "/users?top=1&$top=2", BAD_REQUEST);
        await d.expect("GET", "/users?orderby=displayName", BAD_REQUEST);
      } else {
        assert.ok(page.value.length > 1, "no filter, no $top of 1");
        assert.equal(page.value.find((view) => view.id === user.id)?.displayName, "Plain");
        assert.equal(photo.height, 64);
        assert.equal((await d.json("/users?top=1&$top=2")).value.length, 2);
      }
    });

    test("$top on one object: 400, as Graph answers options of collections", async () => {
      const user = await d.newUser("Single");
      const response = await d.expect("GET", `/users/${user.id}?$top=1`, BAD_REQUEST);
      assert.match(response.json().error.message, /can be applied only on collections/);
    });
  });

  describe("paging", () => {
    test("users come 100 to a page; $top sets the page size; the pages hold every user once", async () => {
      for (let i = 0; i < 101; i++) await d.newUser(`Paged ${i}`);
      const first = await d.json("/users");
      assert.equal(first.value.length, 100);
      assert.deepEqual(Object.keys(first), ["@odata.context", "@odata.nextLink", "value"]);
      const whole = await allPages(d, "/users");
      const byThree = await allPages(d, "/users?$top=3");
      assert.ok(whole.ids.length > 100);
      assert.equal(new Set(whole.ids).size, whole.ids.length);
      assert.deepEqual(byThree.ids, whole.ids);
      assert.equal(byThree.pages, Math.ceil(whole.ids.length / 3));
      const single = await d.json(`/users?$top=999`);
      assert.deepEqual(
        single.value.map((view) => view.id),
        whole.ids,
      );
      assert.equal(single["@odata.nextLink"], undefined);
    });

    test("a next link keeps $top and $select", async () => {
      await d.newUser("Kept A");
      await d.newUser("Kept B");
      const first = await d.json("/users?$select=displayName&$top=1");
      const second = await d.json(nextPath(d, first["@odata.nextLink"]));
      assert.equal(second.value.length, 1);
      assert.deepEqual(Object.keys(second.value[0] ?? {}), ["displayName"]);
      for (const name of ["Group A", "Group B"]) {
        await d.created("/groups", {
          displayName: name,
          mailNickname: name.replace(" ", ""),
          mailEnabled: false,
          securityEnabled: true,
        });
      }
      const groups = await allPages(d, "/groups?$top=1&$select=id");
      assert.ok(groups.pages >= 2);
      assert.deepEqual(
        groups.ids,
        (await d.json("/groups")).value.map((view) => view.id),
      );
    });

    test("objects deleted between pages: the next page neither skips nor repeats", async () => {
      const made: View[] = [];
      for (let i = 0; i < 6; i++) made.push(await d.newUser(`Deleted ${i}`));
      const ids = made.map((view) => view.id);
      // A first page that ends with ids[1].
      const all = (await allPages(d, "/users?$top=999")).ids;
      const offset = all.indexOf(ids[0] ?? "");
      const first = await d.json(`/users?$top=${offset + 2}`);
      assert.equal(first.value.at(-1)?.id, ids[1]);
      const next = nextPath(d, first["@odata.nextLink"]);
      // The last object of the page and one before it go away before the next page is asked.
      await d.expect("DELETE", `/users/${ids[1]}`, "204");
      await d.expect("DELETE", `/users/${ids[0]}`, "204");
      const second = await d.json(next);
      assert.equal(second.value[0]?.id, ids[2]);
    });

    test("$top out of range or not a number, a $skiptoken not made by Portrait: 400", async () => {
      for (const top of ["0", "1000", "-1", "abc", "1.5"]) {
        const response = await d.expect("GET", `/users?$top=${top}`, BAD_REQUEST);
        assert.equal(
          response.json().error.message,
          `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
        );
      }
      for (const token of ["abc", Buffer.from('["x", 1]').toString("base64url"), "%FF"]) {
        await d.expect("GET", `/users?$skiptoken=${token}`, BAD_REQUEST);
      }
      await d.expect("GET", "/groups?$top=1000", BAD_REQUEST);
    });

    test("contacts come 10 to a page, continued by $skip; $top up to 1000", async () => {
      const owner = await d.newUser("Many contacts");
      const path = `/users/${owner.id}/contacts`;
      const made: string[] = [];
      for (let i = 0; i < 12; i++) made.push((await d.created(path, { displayName: `C${i}` })).id);
      const first = await d.json(path);
      assert.equal(first.value.length, 10);
      assert.match(String(first["@odata.nextLink"]), /\?\$top=10&\$skip=10$/);
      assert.deepEqual((await allPages(d, path)).ids, made);
      assert.deepEqual((await allPages(d, `${path}?$top=1000`)).ids, made);
      await d.expect("GET", `${path}?$top=1001`, BAD_REQUEST);
      await d.expect("GET", `${path}?$skip=-1`, BAD_REQUEST);
    });
  });
});
