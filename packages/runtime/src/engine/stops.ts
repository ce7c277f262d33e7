// How an execution stops short of its end: a failure that ends the run (RunFailure), a cancellation or an
// interruption (Stopped), and the store guard that turns a store failure under the run into an interruption.
import { BatonError } from '../errors.js';
import type { RunStoreApi } from '../store/store-api.js';

/** A failure that ends the run (unless caught by `on error: continue`). */
export class RunFailure extends BatonError {
  constructor(code: string, message: string, readonly step?: string) {
    super(code, message);
  }
}

/** The run was cancelled (`baton cancel`) or interrupted (the caller's signal). */
export class Stopped extends Error {
  constructor(readonly reason: 'cancelled' | 'interrupted') {
    super(reason);
  }
}

/** Store refusals that mean another executor has the run (see `RunStoreApi.flush`): this one stops and writes nothing. */
export const LOST_RUN_CODES = new Set(['LEASE_LOST', 'EVENTS_CONFLICT']);

/**
 * The run store as an execution uses it: a store error (`STORE_*`: busy past its wait, unreadable; or
 * `LEASE_LOST`, `EVENTS_CONFLICT`: the run is another executor's) stops the run like an interruption — every
 * statement lets a stop through instead of failing a step with it, which would fail the run and run its
 * compensations because another process held the store — and is reported to `failed` for the run's end to
 * throw. Both a thrown error (`append`) and a rejected promise (every other method) stop it.
 */
export function guardStore(store: RunStoreApi, failed: (error: BatonError) => void): RunStoreApi {
  const stop = (error: unknown): never => {
    if (error instanceof BatonError && (error.code.startsWith('STORE_') || LOST_RUN_CODES.has(error.code))) {
      failed(error);
      throw new Stopped('interrupted');
    }
    throw error;
  };
  // one wrapper per method, made at its first use
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        // the asynchronous methods fail by rejecting, `append` (synchronous) by throwing: both stop the run
        wrapper = (...args: unknown[]) => {
          try {
            const result = (value as (...a: unknown[]) => unknown).apply(target, args);
            return result instanceof Promise ? result.catch(stop) : result;
          } catch (error) {
            return stop(error);
          }
        };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
