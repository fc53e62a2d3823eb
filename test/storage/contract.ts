/**
 * The storage contract: the behaviour of the `Store` port that every adapter must show.
 * An adapter's test file calls `storeContract` with a way to open a fresh store.
 */
import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import type { Store } from "../../src/photos/store.ts";
import { deleteContract } from "./contract-delete.ts";
import type { ContractContext } from "./contract-helpers.ts";
import { objectContract } from "./contract-objects.ts";
import { photoContract } from "./contract-photos.ts";
import { sizeInfoContract } from "./contract-size-info.ts";

/**
 * Registers `describe(name)` with the whole contract. `open` is called before every test and
 * the store is closed after it; each test uses fresh tenant ids, so stores may share a database.
 * `cleanup` runs once at the end.
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  describe(name, () => {
    let current: Store | undefined;
    const ctx: ContractContext = {
      store: () => {
        assert.ok(current, "no open store");
        return current;
      },
    };
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    if (cleanup) after(cleanup);

    objectContract(ctx);
    deleteContract(ctx);
    photoContract(ctx);
    sizeInfoContract(ctx);

    test("ping resolves on an open store", async () => {
      const store = ctx.store();
      assert.equal(typeof store.kind, "string");
      assert.notEqual(store.kind, "");
      await store.ping();
    });

    test("close can be called twice, and ping rejects after close", async () => {
      const store = ctx.store();
      await store.close();
      await store.close();
      await assert.rejects(store.ping());
    });
  });
}
