import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentDef, RunAgents, StepNode, WorkflowDefinition } from '@baton/protocol';
import { SqliteRunStore } from '../store/sqlite-store.js';
import { RunSupervisor } from './run-supervisor.js';
import { storeStartNow } from './executor-worker.js';
import { DEFAULT_WARM_UP_RUNS } from './defaults.js';

/** What {@link warmUpExecutor} did: how many runs it executed and how long it took, ms. */
export interface WarmUpReport {
  /** The runs executed: those asked for, or fewer when the time budget ran out. */
  runs: number;
  /** How many of them succeeded (all of them, unless the runtime is broken: the caller may say so). */
  succeeded: number;
  ms: number;
  /** The SQL texts the warm-up prepared, for the real store's connection (`StatementCache.prepareAll` of `RunStore.statements`). */
  statements: string[];
}

/** Options of {@link warmUpExecutor}. */
export interface WarmUpOptions {
  /** How many runs to execute (default {@link DEFAULT_WARM_UP_RUNS}). */
  runs?: number;
  /** The most runs executing at once, as in the executor it warms up (≥ 1). */
  concurrency: number;
  /**
   * How long the warm-up goes on starting bursts of runs, ms (default 1,000): on a busy machine it stops early (the
   * runs started finish first; the first burst always goes) rather than delay the server's start by seconds.
   */
  budgetMs?: number;
  /** Where the private store goes (default: the system's temporary folder); removed afterwards. */
  dir?: string;
}

/** Starts stored per commit during the warm-up: the burst `baton serve`'s executor takes in one commit. */
const BURST = 16;
const RANGE = { file: '<warm-up>', start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

/**
 * A flow of three steps of a stub agent with a typed output: `flow WarmUp { input n: number = 0; step a: Warm;
 * step b: Warm; step c: Warm }`, built here so that the runtime needs no compiler to warm up.
 */
export function warmUpDefinition(): WorkflowDefinition {
  const agent: AgentDef = {
    name: 'Warm',
    model: 'openai/warm-up',
    output: { kind: 'record', fields: [{ name: 'ok', type: { kind: 'boolean' }, optional: false }] },
    stub: { items: [{ kind: 'value', value: { ok: true } }] },
    range: RANGE,
  };
  const step = (name: string): StepNode => ({ kind: 'step', id: `WarmUp/${name}`, range: RANGE, name, target: { kind: 'agent', name: 'Warm' }, onError: 'fail' });
  return {
    version: 1,
    files: ['<warm-up>'],
    agents: { Warm: agent },
    flows: { WarmUp: { name: 'WarmUp', inputs: [{ name: 'n', type: { kind: 'number' }, range: RANGE, default: 0 }], outputs: [], triggers: [], body: ['a', 'b', 'c'].map(step), range: RANGE } },
    tests: [],
  };
}

/**
 * Warms `baton serve`'s executor thread up before it says it is ready (issue 10, item 19): a fresh thread runs its
 * first starts and steps with cold code — interpreted JavaScript, the WebAssembly SQLite's generic call wrappers,
 * statements prepared on first use — and the first burst of webhooks after a start waited 100+ ms for their 202
 * behind it (measured: the p99 of 400 webhooks fell from ~120–170 ms to ~55–70 ms once ~100 runs had gone through).
 * So the executor first stores and executes `runs` runs of {@link warmUpDefinition} with the stub agents (fewer when
 * `budgetMs` runs out first), in bursts of 16 starts per commit as a real burst is stored, on a private store in a temporary folder (never the user's: it
 * is removed afterwards, and no metric, trace or live event is emitted — telemetry is installed after). Call it
 * before the executor installs its telemetry; then give {@link WarmUpReport.statements} to the real store's
 * statement cache (`statements.prepareAll`).
 * @throws the private store's errors (a temporary folder that cannot be written): the caller may go on cold.
 */
export async function warmUpExecutor(options: WarmUpOptions): Promise<WarmUpReport> {
  const started = performance.now();
  const wanted = options.runs ?? DEFAULT_WARM_UP_RUNS;
  const budgetMs = options.budgetMs ?? 1000;
  let runs = 0;
  const dir = mkdtempSync(path.join(options.dir ?? tmpdir(), 'baton-warm-up-'));
  const store = SqliteRunStore.open(path.join(dir, 'runs.db'));
  const runAgents: RunAgents = { mode: 'stub' };
  const supervisor = new RunSupervisor({ store, runAgents, concurrency: options.concurrency, log: () => undefined });
  const definition = warmUpDefinition();
  const now = (): Date => new Date();
  try {
    const done: Promise<void>[] = [];
    // one burst at least; then another while the budget lasts
    while (runs < wanted && (runs === 0 || performance.now() - started < budgetMs)) {
      const first = runs;
      const ids = store.database.batch(() =>
        Array.from({ length: Math.min(BURST, wanted - first) }, (_, k) => storeStartNow(store.database, { definition, flowName: 'WarmUp', inputs: { n: first + k } }, { runAgents, now }).runId),
      );
      runs += ids.length;
      const burst = ids.map((id) => supervisor.admit(id));
      done.push(...burst);
      // the next burst arrives while these execute, as webhooks do: once one of them is through
      await Promise.race(burst);
    }
    await Promise.all(done);
    const succeeded = store.database.listRuns({ status: 'succeeded', limit: wanted }).length;
    return { runs, succeeded, ms: performance.now() - started, statements: store.database.statements.texts() };
  } finally {
    await supervisor.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
