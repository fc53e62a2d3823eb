/** Graph's directory URLs for the owners of photos: users, groups, contacts, contact folders. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ContactDirectory, MailboxRef } from "../directory/contacts.ts";
import type { GroupDirectory } from "../directory/groups.ts";
import type { UserDirectory, UserRef } from "../directory/users.ts";
import { apiVersion, contextUrl } from "./odata.ts";
import type { Params } from "./owner-routes.ts";

export interface DirectoryRouteOptions {
  users: UserDirectory;
  groups: GroupDirectory;
  contacts: ContactDirectory;
  publicUrl: string;
}

/** Directory request bodies are small JSON objects. */
const JSON_BODY_LIMIT = 64 * 1024;

export async function directoryRoutes(app: FastifyInstance, options: DirectoryRouteOptions) {
  const { users, groups, contacts, publicUrl } = options;
  const context = (request: FastifyRequest, fragment: string) =>
    contextUrl(publicUrl, apiVersion(request), fragment);
  const created = (request: FastifyRequest, reply: FastifyReply, set: string, view: object) =>
    reply.code(201).send({ "@odata.context": context(request, `${set}/$entity`), ...view });
  const collection = (request: FastifyRequest, set: string, value: object[]) => ({
    "@odata.context": context(request, set),
    value,
  });
  const entity = (request: FastifyRequest, set: string, view: object) => ({
    "@odata.context": context(request, `${set}/$entity`),
    ...view,
  });
  const params = (request: FastifyRequest) => request.params as Params;
  const userOf = (request: FastifyRequest): UserRef => {
    const key = params(request).userKey;
    return key === undefined ? { me: true } : { me: false, key };
  };
  const body = { bodyLimit: JSON_BODY_LIMIT };

  app.post("/users", body, async (request, reply) =>
    created(request, reply, "users", await users.create(request.principal, request.body)),
  );
  app.get("/users", async (request) =>
    collection(request, "users", await users.list(request.principal)),
  );
  for (const prefix of ["/me", "/users/:userKey"]) {
    app.get(prefix, async (request) =>
      entity(request, "users", await users.get(request.principal, userOf(request))),
    );
    app.patch(prefix, body, async (request, reply) => {
      await users.update(request.principal, userOf(request), request.body);
      return reply.code(204).send();
    });
    app.delete(prefix, async (request, reply) => {
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
      app.post(path, body, async (request, reply) => {
        const view =
          kind === "contact"
            ? await contacts.createContact(request.principal, mailbox(request), request.body)
            : await contacts.createFolder(request.principal, mailbox(request), request.body);
        return created(request, reply, set, view);
      });
      app.get(path, async (request) =>
        collection(request, set, await contacts.list(request.principal, mailbox(request), kind)),
      );
      app.get(`${path}/:${idParam}`, async (request) =>
        entity(
          request,
          set,
          await contacts.get(request.principal, mailbox(request), kind, id(request)),
        ),
      );
      app.delete(`${path}/:${idParam}`, async (request, reply) => {
        await contacts.remove(request.principal, mailbox(request), kind, id(request));
        return reply.code(204).send();
      });
    }
  }

  app.post("/groups", body, async (request, reply) =>
    created(request, reply, "groups", await groups.create(request.principal, request.body)),
  );
  app.get("/groups", async (request) =>
    collection(request, "groups", await groups.list(request.principal)),
  );
  app.get("/groups/:groupId", async (request) =>
    entity(request, "groups", await groups.get(request.principal, params(request).groupId ?? "")),
  );
  app.delete("/groups/:groupId", async (request, reply) => {
    await groups.remove(request.principal, params(request).groupId ?? "");
    return reply.code(204).send();
  });
}
