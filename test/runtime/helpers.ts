import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { SqliteRunStore, startRun, type AgentCaller, type AgentRequest, type RunOptions, type RunStoreApi, type RunSummary } from '../../packages/runtime/src/index.js';
import { checkText, services } from '../language/helpers.js';
import type { StoreKind } from '../store/both-stores.js';

/** Parses and checks `text` (no errors allowed, warnings are fine) and compiles it to the IR. */
export async function compile(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  const errors = diagnostics.filter((d) => d.severity === 1);
  assert.deepEqual(errors.map((e) => `${e.range.start.line + 1}:${e.range.start.character + 1} ${e.message}`), [], 'the flow checks without errors');
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

/**
 * The hooks of a suite over one text of flows, registered where it is called (inside a `describe`): `flows` compiled
 * once (`before`), a fresh {@link tempStore} for each test (`beforeEach`; cleaned up `afterEach`). The tests read
 * `suite.def` and `suite.t`.
 */
export function compiledWithTempStore(flows: string): { readonly def: WorkflowDefinition; readonly t: ReturnType<typeof tempStore> } {
  let def: WorkflowDefinition | undefined;
  let t: ReturnType<typeof tempStore> | undefined;
  before(async () => (def = await compile(flows)));
  beforeEach(() => (t = tempStore()));
  afterEach(() => t?.cleanup());
  return {
    get def() {
      return def!;
    },
    get t() {
      return t!;
    },
  };
}

/** A temporary folder with a run store file; `cleanup` closes the store and removes the folder. */
export function tempStore(): { dir: string; file: string; store: SqliteRunStore; reopen: () => SqliteRunStore; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-rt-'));
  const file = path.join(dir, 'runs.db');
  const opened: SqliteRunStore[] = [];
  const open = (): SqliteRunStore => {
    const s = SqliteRunStore.open(file);
    opened.push(s);
    return s;
  };
  const store = open();
  return {
    dir,
    file,
    store,
    reopen: open,
    cleanup: () => {
      for (const s of opened) s.database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, empty store of `kind` for one test (see test/store/both-stores.ts): `store` is its first handle, `open`
 * gives another (as another process would have), `dir` is a temporary folder for the test's own files. `cleanup`
 * closes every handle and removes the store (the file, or the PostgreSQL schema) and the folder.
 */
export interface KindStore {
  kind: StoreKind['name'];
  store: RunStoreApi;
  /** Where the store is (a file path, or the server URL and schema). */
  location: string;
  dir: string;
  open: () => Promise<RunStoreApi>;
  cleanup: () => Promise<void>;
}

/** {@link KindStore}: a fresh store of `kind` with one handle open. */
export async function freshStore(kind: StoreKind): Promise<KindStore> {
  const fresh = await kind.fresh();
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-rt-'));
  const store = await fresh.open();
  return {
    kind: kind.name,
    store,
    location: fresh.location,
    dir,
    open: fresh.open,
    cleanup: async () => {
      try {
        await fresh.cleanup();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Runs a flow, collecting its events; sleeps are instant and recorded unless `options.sleep` is given. */
export async function run(
  definition: WorkflowDefinition,
  flow: string,
  inputs: Record<string, unknown>,
  options: Partial<RunOptions> & { store: RunStoreApi },
): Promise<{ summary: RunSummary; events: RunEvent[]; sleeps: number[] }> {
  const events: RunEvent[] = [];
  const sleeps: number[] = [];
  const summary = await startRun(definition, flow, inputs, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { summary, events, sleeps };
}

/** The `step.finished` events as `name:status`, in order. */
export function finished(events: RunEvent[]): string[] {
  return events.filter((e) => e.type === 'step.finished').map((e) => `${e.step}:${e.status}`);
}

/**
 * An agent caller for tests: `answer(request)` decides each call (return a value, throw, or await
 * something); calls are recorded with the number in flight at the time.
 */
export function scriptedAgents(answer: (request: AgentRequest, n: number) => unknown | Promise<unknown>): AgentCaller & { calls: AgentRequest[]; maxInFlight: number } {
  let inFlight = 0;
  const caller = {
    calls: [] as AgentRequest[],
    maxInFlight: 0,
    async call(request: AgentRequest) {
      caller.calls.push(request);
      inFlight++;
      caller.maxInFlight = Math.max(caller.maxInFlight, inFlight);
      try {
        const output = await answer(request, caller.calls.length);
        return { output: output as never, tokens: 0 };
      } finally {
        inFlight--;
      }
    },
  };
  return caller;
}

/** Resolves after `ms` real milliseconds (only for letting concurrent calls overlap). */
export function tick(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once no store handle holds the database lock of `file` (a handle keeps it for a burst of
 * writes and lets go ~25 ms after its last one). Lets a test act as a second process would, without a
 * fixed delay.
 */
export async function lockReleased(file: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (existsSync(`${file}.lock`)) {
    if (Date.now() > deadline) throw new Error(`the lock of ${file} was never released`);
    await tick(5);
  }
}
