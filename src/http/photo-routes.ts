/**
 * Graph's profilePhoto URLs: `photo`, `photo/$value`, `photos`, `photos/{size}` and
 * `photos/{size}/$value` below every owner prefix, with the methods the contract allows.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
  preParsingHookHandler,
} from "fastify";
import type { Access } from "../auth/permissions.ts";
import { GraphError } from "../errors.ts";
import { type PhotoOwner, type ReadAhead, resolvePhotoOwner } from "../photos/photo-owner.ts";
import type { PhotoService } from "../photos/photo-service.ts";
import { parseSizeLabel } from "../photos/sizes.ts";
import type { Store } from "../photos/store.ts";
import type { BodyAdmission } from "./body-admission.ts";
import { notModified, quoteEtag, readIfMatch } from "./conditional.ts";
import { apiVersion, contextUrl, readSelect } from "./odata.ts";
import { OWNER_ROUTES, type OwnerRoute, type Params } from "./owner-routes.ts";
import { PHOTO_PROPERTIES, PHOTO_TYPE, photoCollection, photoEntity } from "./photo-entities.ts";

export interface PhotoRouteOptions {
  store: Store;
  photos: PhotoService;
  publicUrl: string;
  maxUploadBytes: number;
  photoMaxAgeSeconds: number;
  /** Admits uploads before their bodies are read, shared with `$batch`. */
  bodies: BodyAdmission;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type MethodTable = Partial<Record<"GET" | "PUT" | "PATCH" | "DELETE", Handler>>;

const METHODS: HTTPMethods[] = ["GET", "PUT", "PATCH", "DELETE", "POST"];
/** The methods that carry a photo in their body. */
const BODY_METHODS: HTTPMethods[] = ["PUT", "PATCH"];
const LARGEST = { edge: undefined };
const EVERY_SIZE = { sizes: true } as const;

export async function photoRoutes(app: FastifyInstance, options: PhotoRouteOptions) {
  const { store, photos, publicUrl } = options;
  const cacheControl = photoCacheControl(options.photoMaxAgeSeconds);

  // Photo bodies are raw image bytes whatever Content-Type claims: one catch-all parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: options.maxUploadBytes },
    (_request, body, done) => done(null, body),
  );

  /** `read`: what a GET will read, so that the store may look it up with the owner. */
  const owner = async (
    route: OwnerRoute,
    request: FastifyRequest,
    access: Access,
    read?: ReadAhead,
  ) =>
    resolvePhotoOwner(
      store,
      request.principal,
      route.toPath(request.params as Params),
      access,
      read,
    );

  const context = (route: OwnerRoute, request: FastifyRequest, tail: string) =>
    contextUrl(
      publicUrl,
      apiVersion(request),
      `${route.entityPath(request.params as Params, request.principal)}${tail}`,
    );

  const sendBytes = async (
    request: FastifyRequest,
    reply: FastifyReply,
    target: PhotoOwner,
    edge?: number,
  ) => {
    const size = await photos.content(target, edge);
    reply.headers(photoBytesHeaders(size.etag, cacheControl));
    if (notModified(request.headers, size.etag)) return reply.code(304).send();
    const bytes = size.bytes;
    return reply
      .type("image/jpeg")
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };

  const upload =
    (route: OwnerRoute): Handler =>
    async (request, reply) => {
      const target = await owner(route, request, "write");
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await photos.upload(target, body, readIfMatch(request));
      return reply.code(target.kind === "team" ? 204 : 200).send();
    };

  // Runs before the body is read: an upload the image work would refuse now, or one over the
  // bound on bodies held at once, gets its 503 at once, and its body is never buffered (Node
  // reads and discards it).
  const admitUpload: preParsingHookHandler = (request, reply, payload, done) => {
    try {
      photos.admitUpload();
    } catch (error) {
      done(error as Error);
      return;
    }
    options.bodies.admit(request, reply, payload, done);
  };

  const size = (request: FastifyRequest): number => {
    const label = parseSizeLabel((request.params as Params).size ?? "");
    if (label.kind === "malformed") {
      throw new GraphError("BadRequest", "The photo size must look like 48x48.");
    }
    return label.kind === "size" ? label.edge : 0;
  };

  for (const route of OWNER_ROUTES) {
    register(app, `${route.prefix}/photo`, {
      GET: async (request) => {
        const select = readSelect(request, PHOTO_PROPERTIES, PHOTO_TYPE);
        const largest = await photos.size(await owner(route, request, "read", LARGEST));
        return photoEntity(context(route, request, "/photo/$entity"), largest, select);
      },
    });
    register(
      app,
      `${route.prefix}/photo/$value`,
      {
        GET: async (request, reply) =>
          sendBytes(request, reply, await owner(route, request, "read", LARGEST)),
        PUT: upload(route),
        PATCH: upload(route),
        ...(route.deletable && {
          DELETE: async (request: FastifyRequest, reply: FastifyReply) => {
            await photos.remove(await owner(route, request, "write"), readIfMatch(request));
            return reply.code(204).send();
          },
        }),
      },
      admitUpload,
    );

    if (!route.hasCollection) {
      for (const tail of ["/photos", "/photos/:size", "/photos/:size/$value"]) {
        app.route({
          method: METHODS,
          url: `${route.prefix}${tail}`,
          handler: async () => {
            throw new GraphError("BadRequest", "Unsupported segment type.");
          },
        });
      }
      continue;
    }
    register(app, `${route.prefix}/photos`, {
      GET: async (request) => {
        const select = readSelect(request, PHOTO_PROPERTIES, PHOTO_TYPE);
        const sizes = await photos.sizes(await owner(route, request, "read", EVERY_SIZE));
        return photoCollection(context(route, request, "/photos"), sizes, select);
      },
    });
    register(app, `${route.prefix}/photos/:size`, {
      GET: async (request) => {
        const edge = size(request);
        const select = readSelect(request, PHOTO_PROPERTIES, PHOTO_TYPE);
        const info = await photos.size(await owner(route, request, "read", { edge }), edge);
        return photoEntity(context(route, request, "/photos/$entity"), info, select);
      },
    });
    register(app, `${route.prefix}/photos/:size/$value`, {
      GET: async (request, reply) => {
        const edge = size(request);
        return sendBytes(request, reply, await owner(route, request, "read", { edge }), edge);
      },
    });
  }
}

/** `Cache-Control` of photo bytes. */
export function photoCacheControl(maxAgeSeconds: number): string {
  return maxAgeSeconds > 0 ? `private, max-age=${maxAgeSeconds}` : "private, no-cache";
}

/** The headers of a photo-bytes answer, 200 or 304, besides its type and length. */
export function photoBytesHeaders(etag: string, cacheControl: string) {
  return {
    etag: quoteEtag(etag),
    "cache-control": cacheControl,
    "x-content-type-options": "nosniff",
  };
}

/**
 * One URL, every method: the table's handlers, and 405 for the rest. `beforeBody` runs before
 * the body of a PUT or PATCH is read; those methods get a route of their own so that GETs do
 * not pass through it.
 */
function register(
  app: FastifyInstance,
  url: string,
  table: MethodTable,
  beforeBody?: preParsingHookHandler,
): void {
  const handler: Handler = async (request, reply) => {
    // HEAD is answered like GET; Fastify drops the body.
    const method = request.method === "HEAD" ? "GET" : request.method;
    const found = table[method as keyof MethodTable];
    if (!found) {
      throw new GraphError("MethodNotAllowed");
    }
    return found(request, reply);
  };
  if (!beforeBody) {
    app.route({ method: METHODS, url, handler });
    return;
  }
  app.route({ method: BODY_METHODS, url, preParsing: beforeBody, handler });
  app.route({ method: METHODS.filter((m) => !BODY_METHODS.includes(m)), url, handler });
}
