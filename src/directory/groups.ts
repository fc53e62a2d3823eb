/** Groups of the directory and their owners (owners decide who may change a group's photo). */
import { randomUUID } from "node:crypto";
import { mayManageGroups, mayReadGroupObject, requirePermission } from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";
import { GraphError } from "../errors.ts";
import type { DirectoryObject, PageRequest, Store } from "../photos/store.ts";
import { pageViews, type View, type ViewCondition } from "./paging.ts";
import { badRequest, GROUP_PROPERTIES, isGuid, publicView, readProperties } from "./properties.ts";
import { findUser, resourceNotFound } from "./users.ts";

const GROUP_TYPE = "microsoft.graph.group";
const OWNERS_BIND = "owners@odata.bind";

export async function findGroup(
  store: Store,
  tenantId: string,
  id: string,
): Promise<DirectoryObject | undefined> {
  return isGuid(id) ? store.getObject(tenantId, "group", id.toLowerCase()) : undefined;
}

/** Ids of the group's owners (kept out of the group's public view). */
export function groupOwners(group: DirectoryObject): string[] {
  const owners = group.data._owners;
  return Array.isArray(owners) ? owners.filter((id): id is string => typeof id === "string") : [];
}

export function createGroupDirectory(store: Store) {
  return {
    async create(principal: Principal, body: unknown): Promise<View> {
      requirePermission(mayManageGroups(principal));
      const props = readProperties(body, GROUP_PROPERTIES, GROUP_TYPE, [OWNERS_BIND]);
      for (const name of ["displayName", "mailNickname"]) {
        if (typeof props[name] !== "string" || props[name] === "") {
          throw badRequest(`Property '${name}' is required and must be a non-empty string.`);
        }
      }
      const owners = await readOwnerBinds(store, principal.tenantId, body);
      if (
        principal.kind === "delegated" &&
        principal.userId &&
        !owners.includes(principal.userId)
      ) {
        owners.push(principal.userId);
      }
      const data = {
        mailEnabled: false,
        securityEnabled: true,
        groupTypes: [],
        ...props,
        _owners: owners,
      };
      const id = randomUUID();
      const result = await store.insertObject({
        tenantId: principal.tenantId,
        id,
        kind: "group",
        ownerId: null,
        parentId: null,
        uniqueKey: null,
        data,
      });
      if (!result.ok)
        throw new GraphError("generalException", `Group insert failed: ${result.reason}`);
      return publicView(id, data);
    },

    async get(principal: Principal, id: string): Promise<View> {
      requirePermission(mayReadGroupObject(principal));
      const group = await findGroup(store, principal.tenantId, id);
      if (!group) throw resourceNotFound(id);
      return publicView(group.id, group.data);
    },

    /** One page of the tenant's groups (those that meet `condition`), oldest first. */
    async page(principal: Principal, page: PageRequest, condition?: ViewCondition) {
      requirePermission(mayReadGroupObject(principal));
      return pageViews(store, principal.tenantId, "group", page, condition);
    },

    async remove(principal: Principal, id: string): Promise<void> {
      requirePermission(mayManageGroups(principal));
      const group = await findGroup(store, principal.tenantId, id);
      if (!group || !(await store.deleteObject(principal.tenantId, group.id))) {
        throw resourceNotFound(id);
      }
    },
  };
}

export type GroupDirectory = ReturnType<typeof createGroupDirectory>;

/** Reads `owners@odata.bind` (URLs ending in `users/{id}`); every owner must exist. */
async function readOwnerBinds(store: Store, tenantId: string, body: unknown): Promise<string[]> {
  const binds = (body as Record<string, unknown>)[OWNERS_BIND];
  if (binds === undefined) return [];
  if (!Array.isArray(binds) || !binds.every((bind) => typeof bind === "string")) {
    throw badRequest(`Property '${OWNERS_BIND}' must be an array of URLs.`);
  }
  const owners: string[] = [];
  for (const bind of binds) {
    const match = /\/(?:users|directoryObjects)\/([^/()']+)\/?$/i.exec(bind as string);
    const key = match?.[1] ? decodedOrUndefined(match[1]) : undefined;
    const user = key === undefined ? undefined : await findUser(store, tenantId, key);
    if (!user) throw badRequest(`Invalid owner reference '${bind}'.`);
    if (!owners.includes(user.id)) owners.push(user.id);
  }
  return owners;
}

/** A URL segment decoded, or undefined when its percent-encoding is broken (`%ZZ`). */
function decodedOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
