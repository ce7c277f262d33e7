/**
 * The per-case fixture the store conformance suites share (conformance.ts, conformance-schema8.ts,
 * conformance-console.ts, conformance-sla.ts, test/notify/conformance-outbox.ts): a fresh store from the factory
 * before each case, and after it every handle opened on it closed, then the factory's cleanup.
 */
import type { RunStoreApi } from '../../packages/runtime/src/index.js';

/** Makes fresh stores: `fresh()` one per case, whose `handle()` opens another connection; `cleanup()` after each. */
export interface FixtureFactory<S extends { handle(): Promise<RunStoreApi> }> {
  fresh(): Promise<S>;
  cleanup?(): Promise<void>;
}

/** The case's store and a way to open handles on it that are closed after the case. */
export interface StoreFixture<S> {
  /** The fresh store of the running case (set by the fixture's beforeEach). */
  store(): S;
  /** A new handle on the case's store, closed after the case. */
  open(): Promise<RunStoreApi>;
}

/** Registers the beforeEach / afterEach hooks of the fixture; call it inside the suite's `describe`. */
export function storeFixture<S extends { handle(): Promise<RunStoreApi> }>(factory: FixtureFactory<S>): StoreFixture<S> {
  let store: S | undefined;
  let opened: RunStoreApi[] = [];
  beforeEach(async () => {
    store = await factory.fresh();
    opened = [];
  });
  afterEach(async () => {
    for (const handle of opened) await handle.close().catch(() => undefined);
    await factory.cleanup?.();
  });
  const current = (): S => {
    if (!store) throw new Error('storeFixture: no store outside a case');
    return store;
  };
  return {
    store: current,
    open: async () => {
      const handle = await current().handle();
      opened.push(handle);
      return handle;
    },
  };
}
