/** Graph's directory URLs for the owners of photos: users, groups, contacts, contact folders. */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
  RouteHandlerMethod,
} from "fastify";
import type { ContactDirectory, MailboxRef } from "../directory/contacts.ts";
import type { GroupDirectory } from "../directory/groups.ts";
import type { View, ViewCondition, ViewPage } from "../directory/paging.ts";
import {
  CONTACT_PROPERTIES,
  FOLDER_PROPERTIES,
  GROUP_PROPERTIES,
  GROUP_UNKEPT,
  USER_PROPERTIES,
  USER_UNKEPT,
} from "../directory/properties.ts";
import type { UserDirectory, UserRef } from "../directory/users.ts";
import { GraphError } from "../errors.ts";
import type { PageRequest } from "../photos/store.ts";
import {
  type DirectoryType,
  nextLink,
  readDirectoryPage,
  readEntitySelect,
  readOutlookPage,
  skipToken,
} from "./directory-query.ts";
import { apiVersion, applySelect, contextUrl } from "./odata.ts";
import type { Params } from "./owner-routes.ts";

export interface DirectoryRouteOptions {
  users: UserDirectory;
  groups: GroupDirectory;
  contacts: ContactDirectory;
  publicUrl: string;
}

/** Directory request bodies are small JSON objects. */
const JSON_BODY_LIMIT = 64 * 1024;

/** Methods a client may try on a directory URL: those it has no handler for are 405. */
const METHODS: HTTPMethods[] = ["GET", "PUT", "PATCH", "DELETE", "POST"];

/** What `$select` may name: the properties Portrait keeps for each type, and Graph's others. */
const TYPES = {
  users: {
    name: "microsoft.graph.user",
    properties: ["id", ...Object.keys(USER_PROPERTIES)],
    unkept: USER_UNKEPT,
  },
  groups: {
    name: "microsoft.graph.group",
    properties: ["id", ...Object.keys(GROUP_PROPERTIES)],
    unkept: GROUP_UNKEPT,
  },
  contacts: {
    name: "microsoft.graph.contact",
    properties: ["id", ...Object.keys(CONTACT_PROPERTIES), "parentFolderId"],
  },
  contactFolders: {
    name: "microsoft.graph.contactFolder",
    properties: ["id", ...Object.keys(FOLDER_PROPERTIES), "parentFolderId"],
  },
} as const satisfies Record<string, DirectoryType>;

type EntitySet = keyof typeof TYPES;

export async function directoryRoutes(app: FastifyInstance, options: DirectoryRouteOptions) {
  const { users, groups, contacts, publicUrl } = options;
  const context = (request: FastifyRequest, fragment: string) =>
    contextUrl(publicUrl, apiVersion(request), fragment);
  const created = (request: FastifyRequest, reply: FastifyReply, set: EntitySet, view: View) =>
    reply.code(201).send({ "@odata.context": context(request, `${set}/$entity`), ...view });
  const collection = (request: FastifyRequest, set: EntitySet, value: object[], next?: string) => ({
    "@odata.context": context(request, set),
    ...(next !== undefined && { "@odata.nextLink": next }),
    value,
  });
  /** Users and groups: a page from the store, continued by `$skiptoken` (Graph's directory). */
  const directoryPage = async (
    request: FastifyRequest,
    set: "users" | "groups",
    read: (page: PageRequest, condition: ViewCondition | undefined) => Promise<ViewPage>,
  ) => {
    const query = readDirectoryPage(request, TYPES[set]);
    const { views, next } = await read({ after: query.after, limit: query.top }, query.condition);
    const link =
      next === undefined
        ? undefined
        : nextLink(request, publicUrl, query, `$skiptoken=${skipToken(next)}`);
    return collection(
      request,
      set,
      views.map((view) => applySelect(view, query.select, TYPES[set].unkept)),
      link,
    );
  };
  /** Contacts and folders: a slice of the mailbox's list, continued by `$skip` (Outlook's). */
  const outlookPage = (request: FastifyRequest, set: EntitySet, views: View[]) => {
    const query = readOutlookPage(request, TYPES[set]);
    const end = query.skip + query.top;
    const link =
      end < views.length ? nextLink(request, publicUrl, query, `$skip=${end}`) : undefined;
    return collection(
      request,
      set,
      views.slice(query.skip, end).map((view) => applySelect(view, query.select)),
      link,
    );
  };
  const entity = (request: FastifyRequest, set: EntitySet, view: View) => ({
    "@odata.context": context(request, `${set}/$entity`),
    ...applySelect(
      view,
      readEntitySelect(request, TYPES[set]),
      (TYPES[set] as DirectoryType).unkept,
    ),
  });
  const params = (request: FastifyRequest) => request.params as Params;
  const userOf = (request: FastifyRequest): UserRef => {
    const key = params(request).userKey;
    return key === undefined ? { me: true } : { me: false, key };
  };
  /** Each URL's methods, so that the others can be answered 405 (`refuseOtherMethods`). */
  const allowed = new Map<string, HTTPMethods[]>();
  const on = (method: HTTPMethods, url: string, handler: RouteHandlerMethod) => {
    allowed.set(url, [...(allowed.get(url) ?? []), method]);
    app.route({ method, url, handler, ...(method !== "GET" && { bodyLimit: JSON_BODY_LIMIT }) });
  };

  on("POST", "/users", async (request, reply) =>
    created(request, reply, "users", await users.create(request.principal, request.body)),
  );
  on("GET", "/users", (request) =>
    directoryPage(request, "users", (page, condition) =>
      users.page(request.principal, page, condition),
    ),
  );
  for (const prefix of ["/me", "/users/:userKey"]) {
    on("GET", prefix, async (request) =>
      entity(request, "users", await users.get(request.principal, userOf(request))),
    );
    on("PATCH", prefix, async (request, reply) => {
      await users.update(request.principal, userOf(request), request.body);
      return reply.code(204).send();
    });
    on("DELETE", prefix, async (request, reply) => {
      await users.remove(request.principal, userOf(request));
      return reply.code(204).send();
    });

    const kinds = [
      { path: `${prefix}/contacts`, kind: "contact", idParam: "contactId" },
      { path: `${prefix}/contactFolders`, kind: "contactFolder", idParam: "folderId" },
      {
        path: `${prefix}/contactFolders/:folderId/contacts`,
        kind: "contact",
        idParam: "contactId",
      },
    ] as const;
    for (const { path, kind, idParam } of kinds) {
      const set = kind === "contact" ? "contacts" : "contactFolders";
      // A folder's own id is not the folder that holds it.
      const mailbox = (request: FastifyRequest): MailboxRef => ({
        user: userOf(request),
        folderId: kind === "contact" ? params(request).folderId : undefined,
      });
      const id = (request: FastifyRequest) => params(request)[idParam] ?? "";
      on("POST", path, async (request, reply) => {
        const view =
          kind === "contact"
            ? await contacts.createContact(request.principal, mailbox(request), request.body)
            : await contacts.createFolder(request.principal, mailbox(request), request.body);
        return created(request, reply, set, view);
      });
      on("GET", path, async (request) =>
        outlookPage(request, set, await contacts.list(request.principal, mailbox(request), kind)),
      );
      on("GET", `${path}/:${idParam}`, async (request) =>
        entity(
          request,
          set,
          await contacts.get(request.principal, mailbox(request), kind, id(request)),
        ),
      );
      on("DELETE", `${path}/:${idParam}`, async (request, reply) => {
        await contacts.remove(request.principal, mailbox(request), kind, id(request));
        return reply.code(204).send();
      });
    }
  }

  on("POST", "/groups", async (request, reply) =>
    created(request, reply, "groups", await groups.create(request.principal, request.body)),
  );
  on("GET", "/groups", (request) =>
    directoryPage(request, "groups", (page, condition) =>
      groups.page(request.principal, page, condition),
    ),
  );
  on("GET", "/groups/:groupId", async (request) =>
    entity(request, "groups", await groups.get(request.principal, params(request).groupId ?? "")),
  );
  on("DELETE", "/groups/:groupId", async (request, reply) => {
    await groups.remove(request.principal, params(request).groupId ?? "");
    return reply.code(204).send();
  });
  refuseOtherMethods(app, allowed);
}

/**
 * 405 for the methods a directory URL has no handler for, as Graph answers them, decided after
 * authentication and before any body is read.
 */
function refuseOtherMethods(app: FastifyInstance, allowed: Map<string, HTTPMethods[]>): void {
  const refuse = () => {
    throw new GraphError("MethodNotAllowed");
  };
  for (const [url, methods] of allowed) {
    const others = METHODS.filter((method) => !methods.includes(method));
    app.route({
      method: others,
      url,
      onRequest: (_request, _reply, done) => done(new GraphError("MethodNotAllowed")),
      handler: refuse,
    });
  }
}
