/**
 * What the cases of the run store conformance suite (conformance.ts, conformance-leases.ts, conformance-watch.ts)
 * share: the factory of fresh stores, the per-test context, the definitions and waits the cases store, and the
 * assertions they make.
 */
import assert from 'node:assert/strict';
import type { NewRunEvent, RunEvent, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import { BatonError, type RunStoreApi } from '../../packages/runtime/src/index.js';

/** A fresh, empty store: handles on it, and what the suite cannot see through the contract. */
export interface FreshStore {
  /** Opens another handle on the same store (another process's view). */
  handle(): Promise<RunStoreApi>;
  /** How many definitions the store keeps (to check they are stored once per content). */
  definitionCount(): Promise<number>;
}

/** Makes a fresh, empty store for one test; `cleanup` runs after each test (handles opened are closed first). */
export interface StoreFactory {
  fresh(): Promise<FreshStore>;
  cleanup?(): Promise<void>;
}

export const DEFINITION = {
  name: 'conformance',
  inputs: [],
  outputs: [],
  body: [],
  marker: 'one',
} as unknown as WorkflowDefinition;

export const RANGE = { file: 'f.flow', start: { line: 1, column: 1 }, end: { line: 1, column: 2 } };

export const OTHER_DEFINITION = { ...DEFINITION, marker: 'two' } as unknown as WorkflowDefinition;

export const APPROVAL: WaitingOn = { kind: 'approval', task: 'sign', node: 'n1', options: ['escalate'] } as unknown as WaitingOn;
export const EVENT_WAIT: WaitingOn = { kind: 'event', event: 'paid', key: 'k1', node: 'n2' } as unknown as WaitingOn;

/** Asserts that `promise` rejects with a BatonError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<BatonError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BatonError, `expected a BatonError ${code}, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Polls `probe` until it returns a value (not undefined), up to `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** `n` step.started events whose nodes are `<tag>0`, `<tag>1`, … */
export function stepEvents(n: number, tag: string): NewRunEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'step.started', node: `${tag}${i}`, step: `${tag}${i}`, agent: 'A', target: 'agent' }) as const);
}

/** The seq numbers of a log, checked gapless from 1 and without duplicates. */
export function assertGapless(log: RunEvent[]): void {
  assert.deepEqual(
    log.map((e) => e.seq),
    log.map((_, i) => i + 1),
    'the log is one gap-free sequence',
  );
}

/** What the cases of the suite share in a test: handles on the test's fresh store. */
export interface ConformanceContext {
  /** Opens another handle on the test's store (another process's view), closed after the test. */
  open(): Promise<RunStoreApi>;
  /** Creates a run of {@link DEFINITION} on `s` (flow `F`, file `f.flow`, inputs `{ n: 1 }`, and `extra`). @returns its id. */
  newRun(s: RunStoreApi, extra?: Partial<Parameters<RunStoreApi['createRun']>[0]>): Promise<string>;
}
