/** Tenant isolation of the Graph-shaped directory of contract section 6, under /v1.0 and /beta. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { describeDirectory } from "../helpers/directory-suite.ts";
import type { Method } from "../helpers/graph-calls.ts";
import { makeJpeg } from "../helpers/images.ts";
import { ALL_APP_ROLES } from "../helpers/service.ts";

describeDirectory((d) => {
  describe("tenant isolation", () => {
    const tenantB = randomUUID();
    let appB: string;
    before(async () => {
      appB = await d.service.issuer.mint({ app: true, roles: ALL_APP_ROLES, tenantId: tenantB });
    });

    test("users, groups, contacts and photos of tenant A are 404 for tenant B", async () => {
      const user = await d.newUser("Paula");
      const group = await d.created("/groups", { displayName: "A", mailNickname: "a" });
      const contact = await d.created(`/users/${user.id}/contacts`, { displayName: "C" });
      const owners = [
        `/users/${user.id}`,
        `/groups/${group.id}`,
        `/users/${user.id}/contacts/${contact.id}`,
      ];
      for (const owner of owners) {
        await d.expect("PUT", `${owner}/photo/$value`, "200", { body: d.jpeg });
      }
      const photosBefore = await Promise.all(owners.map((owner) => d.json(`${owner}/photo`)));
      const userB = await d.service.issuer.mint({
        user: user.id,
        scopes: ["User.ReadWrite", "Contacts.ReadWrite"],
        tenantId: tenantB,
      });
      const other = await makeJpeg(96, 96);
      const requests: [Method, string, string, (object | Buffer)?][] = [
        ["GET", `/users/${user.id}`, appB],
        ["GET", `/users/${user.userPrincipalName}`, appB],
        ["PATCH", `/users/${user.id}`, appB, { city: "Rome" }],
        ["DELETE", `/users/${user.id}`, appB],
        ["GET", `/groups/${group.id}`, appB],
        ["DELETE", `/groups/${group.id}`, appB],
        ["GET", `/users/${user.id}/contacts`, appB],
        ["GET", `/users/${user.id}/contacts/${contact.id}`, appB],
        ["DELETE", `/users/${user.id}/contacts/${contact.id}`, appB],
        ["GET", "/me", userB],
        ["GET", `/me/contacts/${contact.id}`, userB],
        ["GET", "/me/photo", userB],
        ["DELETE", `/users/${user.id}/photo/$value`, appB],
        ["DELETE", `/groups/${group.id}/photo/$value`, appB],
        ["GET", `/teams/${group.id}/photo`, appB],
        ...owners.map((owner): [Method, string, string] => ["GET", `${owner}/photo`, appB]),
        ...owners.map((owner): [Method, string, string, Buffer] => [
          "PUT",
          `${owner}/photo/$value`,
          appB,
          other,
        ]),
      ];
      for (const [method, path, token, body] of requests) {
        const response = await d.call(method, path, token, body);
        assert.equal(response.statusCode, 404, `${method} ${path}: ${response.body}`);
      }
      const idsOfB = async (set: string) => (await d.json(set, appB)).value.map((o) => o.id);
      assert.ok(!(await idsOfB("/users")).includes(user.id));
      assert.ok(!(await idsOfB("/groups")).includes(group.id));
      // Nothing of tenant A changed.
      const photosAfter = await Promise.all(owners.map((owner) => d.json(`${owner}/photo`)));
      assert.deepEqual(photosAfter, photosBefore);
      assert.equal((await d.json(`/users/${user.id}`)).city, undefined);
      await d.expect("GET", `/groups/${group.id}`, "200");
      await d.expect("GET", `/users/${user.id}/contacts/${contact.id}`, "200");
    });

    test("tenant B can create a user with a UPN (and an id) used in tenant A", async () => {
      const user = await d.newUser("Quinn");
      const upn = String(user.userPrincipalName);
      const twinBody = { displayName: "Twin", userPrincipalName: upn.toLowerCase() };
      const twin = await d.created("/users", twinBody, appB);
      assert.notEqual(twin.id, user.id);
      assert.equal((await d.json(`/users/${upn}`, appB)).id, twin.id);
      assert.equal((await d.json(`/users/${upn}`)).id, user.id);
      const sameId = { id: user.id, displayName: "Same id", userPrincipalName: d.upn("Other") };
      assert.equal((await d.created("/users", sameId, appB)).id, user.id);
      assert.equal((await d.json(`/users/${user.id}`, appB)).displayName, "Same id");
      assert.equal((await d.json(`/users/${user.id}`)).displayName, "Quinn");
    });
  });
});
