/**
 * A started service seen through one API version (`/v1.0` or `/beta`), with short forms of the
 * directory calls the HTTP tests repeat: create, read, and assert an outcome.
 */
import assert from "node:assert/strict";
import { type Method, outcome, type Reply, send } from "./graph-calls.ts";
import { makeJpeg } from "./images.ts";
import { startService, type TestService } from "./service.ts";

/** A directory object as returned by the API. */
export type View = Record<string, unknown> & { id: string };

export interface ExpectOptions {
  /** Defaults to the application token with every write role. */
  token?: string;
  body?: object | Buffer;
  /** The expected `error.message`. */
  message?: string;
}

export interface DirectoryClient {
  service: TestService;
  /** Application token with every write role of the service's tenant. */
  app: string;
  /** A 64x64 JPEG to upload as a photo. */
  jpeg: Buffer;
  call(method: Method, path: string, token?: string, body?: object | Buffer): Promise<Reply>;
  /** Asserts the outcome (`"200"`, `"404 ErrorItemNotFound"`, ...) of one request. */
  expect(method: Method, path: string, expected: string, options?: ExpectOptions): Promise<Reply>;
  /** POST that must answer 201; returns the created object. */
  created(path: string, body: object, token?: string): Promise<View>;
  /** GET that must answer 200; returns the body. */
  json(path: string, token?: string): Promise<Record<string, unknown> & { value: View[] }>;
  /** Creates a user with a unique userPrincipalName made from `name`. */
  newUser(name: string, extra?: object): Promise<View>;
  /** A userPrincipalName not used before in this client. */
  upn(name: string): string;
  /** The `@odata.context` URL of this version for a fragment such as `users/$entity`. */
  context(fragment: string): string;
}

export async function openDirectory(version: "v1.0" | "beta"): Promise<DirectoryClient> {
  const service = await startService();
  const app = await service.appToken();
  const jpeg = await makeJpeg(64, 64);
  let count = 0;
  const call = (method: Method, path: string, token = app, body?: object | Buffer) =>
    send(service, method, `/${version}${path}`, token, body);
  const client: DirectoryClient = {
    service,
    app,
    jpeg,
    call,
    async expect(method, path, expected, options = {}) {
      const response = await call(method, path, options.token, options.body);
      assert.equal(outcome(response), expected, `${method} ${path}: ${response.body}`);
      if (options.message !== undefined)
        assert.equal(response.json().error.message, options.message);
      return response;
    },
    async created(path, body, token) {
      return (await client.expect("POST", path, "201", { body, ...(token && { token }) })).json();
    },
    async json(path, token) {
      return (await client.expect("GET", path, "200", { ...(token && { token }) })).json();
    },
    newUser: (name, extra = {}) =>
      client.created("/users", {
        displayName: name,
        userPrincipalName: client.upn(name),
        ...extra,
      }),
    upn: (name) => `${name}.${++count}@Contoso.test`,
    context: (fragment) => `${service.config.publicUrl}/${version}/$metadata#${fragment}`,
  };
  return client;
}
