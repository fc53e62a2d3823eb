/**
 * The frame of the directory HTTP tests (contract section 6): each suite runs once under /v1.0
 * and once under /beta, against a service of its own, with the outcomes those tests share.
 */
import { after, before, describe } from "node:test";
import { type DirectoryClient, openDirectory, type View } from "./directory-client.ts";

export const NOT_FOUND = "404 Request_ResourceNotFound";
export const NO_ITEM = "404 ErrorItemNotFound";

/** A returned object without its `@odata.context`, as it stands in a collection. */
export const withoutContext = ({ "@odata.context": _, ...view }: View) => view;

/**
 * `describe("directory under /<version>", define)` for both versions. `define` gets the client at
 * once but may use it only in tests and hooks: a `before` hook fills it in when the service has
 * started, and an `after` hook closes that service.
 */
export function describeDirectory(define: (d: DirectoryClient) => void): void {
  for (const version of ["v1.0", "beta"] as const) {
    describe(`directory under /${version}`, () => {
      // Empty until the `before` hook below copies the opened client into it.
      const d = {} as DirectoryClient;
      before(async () => {
        Object.assign(d, await openDirectory(version));
      });
      after(() => d.service.close());
      define(d);
    });
  }
}
