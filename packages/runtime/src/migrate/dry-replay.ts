// The dry replay of a migration: the new definition executed against the run's stored log (renames applied) with
// agents that refuse to be called and a store that keeps nothing — it must reach every finished part of the run,
// take the branches the run took, and stop at exactly the waits the run waits at now.
import type { JsonValue, NewRunEvent, RunEvent, SourceRange, Statement, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import { forEachStatement } from '@baton/protocol';
import type { AgentCaller, AgentRequest } from '../agents/agent.js';
import { BatonError } from '../errors.js';
import { Execution } from '../engine/execution.js';
import { CircuitBreakers } from '../engine/resilience.js';
import type { RunRecord, RunStoreApi } from '../store/store-api.js';
import type { LockAcquired } from '../store/lock-api.js';
import { idRenamer, readAcrossMigrations, renameWaits } from '@baton/protocol';
import type { MigrationProblem } from './problems.js';

/** The code a dry replay's agent call fails with (never retried). */
export const AGENT_REFUSED = 'MIGRATION_AGENT_REFUSED';

/** What {@link dryReplay} found: the problems, and the waits the run stops at on the new definition. */
export interface DryReplayResult {
  problems: MigrationProblem[];
  /** The run's waits as the new definition has them (stored with the migration). */
  waitingOn: WaitingOn[];
}

/**
 * Replays run `run` (its stored `events`, read across earlier migrations, then with `renamed` applied) on
 * `definition`'s flow `flow` with checked `inputs`, calling no agent and storing nothing.
 * @returns `path-diverged` and `wait-missing` problems (none: compatible) and the waits reached.
 */
export async function dryReplay(
  definition: WorkflowDefinition,
  flow: string,
  inputs: Record<string, JsonValue>,
  run: RunRecord,
  events: RunEvent[],
  renamed: Record<string, string>,
): Promise<DryReplayResult> {
  const rename = idRenamer(renamed) ?? ((t: string) => t);
  // the log as the new definition reads it: the store's reading across earlier migrations plus this one's renames
  const past = readAcrossMigrations([...events, { type: 'run.migrated', runId: run.id, seq: events.length + 1, time: events.at(-1)?.time ?? run.startedAt, from: '', to: '', flow, renamed }]).slice(0, events.length);
  const stored = past.filter((e): e is Extract<RunEvent, { type: 'branch.taken' }> => e.type === 'branch.taken');
  // decisions of branches are taken again (and compared), everything else is read back
  const replayed = past.filter((e) => e.type !== 'branch.taken');
  const now = new Date(events.at(-1)?.time ?? run.startedAt);
  const store = new DryStore(run, past);
  const refuse = async (request: AgentRequest): Promise<never> => {
    throw new BatonError(AGENT_REFUSED, `step ${request.stepKey} would call agent ${request.agent.name}`);
  };
  // a step whose agent has tools asks for turns: refused the same way (a finished turn is read from the log)
  const refusing: AgentCaller = { call: refuse, turn: refuse };
  const execution = new Execution(definition, run.id, {
    store: store as unknown as RunStoreApi,
    agents: refusing,
    circuits: new CircuitBreakers(),
    random: () => 0,
    sleep: async () => undefined,
    now: () => now,
    shortWaitMs: 0,
  }, replayed);
  const reads = execution.replayLog.trackReads();
  const result = await execution.run(flow, inputs, { ...run.outputs });
  const nodes = new Map<string, Statement>();
  for (const f of Object.values(definition.flows)) forEachStatement(f.body, (s) => nodes.set(s.id, s));
  // a node the new definition does not have: the place of the flow the run continues as
  const at = (id: string | undefined): SourceRange | undefined => (id ? nodes.get(id)?.range : undefined) ?? definition.flows[flow]?.range;
  const problems: MigrationProblem[] = [];

  // branches: the same decision at every if/switch the run decided
  const taken = new Map(store.emitted.filter((e) => e.type === 'branch.taken').map((e) => [`${e.node}|${e.scope}`, e as Extract<RunEvent, { type: 'branch.taken' }>]));
  const diverged: string[] = [];
  for (const b of stored) {
    const now = taken.get(`${b.node}|${b.scope}`);
    if (now && now.branch === b.branch) continue;
    diverged.push(b.scope);
    const what = nodes.get(b.node)?.kind ?? 'branch';
    const lost = firstFinishedUnder(past, b.scope, reads.steps);
    problems.push({
      code: 'path-diverged',
      message: now
        ? `this ${what} now takes ${armOf(now)}; the run took ${armOf(b)}${lost ? `, so step ${lost} (finished) is no longer reached` : ''}`
        : `this ${what} is no longer reached (the run took ${armOf(b)} there)${lost ? `, nor step ${lost} (finished)` : ''}`,
      range: at(b.node),
    });
  }
  // every finished step, decision and received event is reached (inside a finished sub-flow step: through it)
  const reached = (key: string, read: Set<string>): boolean => read.has(key) || prefixes(key).some((p) => reads.steps.has(p));
  for (const e of past) {
    if (e.type === 'step.finished' && !reached(e.step, reads.steps) && !diverged.length) {
      problems.push({ code: 'path-diverged', message: `step ${e.step} finished in this run, but the new flow no longer reaches it`, range: at(e.node) });
    } else if (e.type === 'approval.decided' && !reached(e.task, reads.decisions) && !diverged.length) {
      problems.push({ code: 'path-diverged', message: `approval ${e.task} was decided in this run, but the new flow no longer reaches it`, range: at(e.node) });
    }
  }
  // nothing new runs before the run's waits
  const current = renameWaits(run.waitingOn, rename);
  const started = store.emitted.find((e) => e.type === 'step.started');
  // an interrupted run stopped inside a step (started, not finished): the replay calling it again is where the run is
  const inFlight = started?.type === 'step.started' && past.some((e) => e.type === 'step.started' && e.step === started.step) && !past.some((e) => e.type === 'step.finished' && e.step === started.step);
  if (result.status === 'failed' && !(result.error?.code === AGENT_REFUSED && inFlight)) {
    problems.push(
      result.error?.code === AGENT_REFUSED && started?.type === 'step.started'
        ? { code: 'path-diverged', message: `step ${started.step} would run before the run's current wait${current.length === 1 ? '' : 's'}, and it has not run`, range: at(started.node) }
        : { code: 'path-diverged', message: `replaying the run on the new flow fails: ${result.error?.code}: ${result.error?.message}` },
    );
  }
  const waitKey = (w: WaitingOn): string => `${w.kind}|${w.kind === 'approval' ? w.task : w.key}`;
  const reachedWaits = new Set(result.waitingOn.map(waitKey));
  for (const w of result.status === 'failed' ? [] : current) {
    if (!reachedWaits.has(waitKey(w))) problems.push({ code: 'wait-missing', message: `the run waits at ${describe(w)}, which the new flow does not reach${result.status === 'succeeded' ? ' (it would end instead)' : ''}`, range: at(w.node) });
  }
  const currentKeys = new Set(current.map(waitKey));
  for (const w of result.waitingOn) {
    if (!currentKeys.has(waitKey(w))) problems.push({ code: 'path-diverged', message: `the new flow would also wait at ${describe(w)}, which the run never reached`, range: at(w.node) });
  }
  return { problems, waitingOn: result.status === 'waiting' ? result.waitingOn : [] };
}

/** The arm a `branch.taken` names: `then`, `else`, `case "x"`, `no branch`. */
function armOf(b: Extract<RunEvent, { type: 'branch.taken' }>): string {
  if (b.branch < 0) return 'no branch';
  const arm = b.label.split('→').pop()?.trim();
  return arm && arm !== b.label ? arm : `branch ${b.branch}`;
}

function describe(w: WaitingOn): string {
  switch (w.kind) {
    case 'approval':
      return `approval ${w.task}`;
    case 'event':
      return `event "${w.event}"${w.name ? ` (as ${w.name})` : ''}`;
    case 'timer':
      return `a timer until ${w.until}`;
    case 'condition':
      return `wait until ${w.condition}`;
    case 'lock':
      return `lock ${w.name}`;
    case 'signal':
      return `signal ${w.signal}`;
    default:
      return 'a wait';
  }
}

/** The sub-flow prefixes of a key (`a[0]/b/c` → `a[0]`, `a[0]/b`): the sub-flow step instances it runs inside. */
function prefixes(key: string): string[] {
  const result: string[] = [];
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) result.push(key.slice(0, i));
  return result;
}

/** The first finished step of `scope` that the replay did not reach, for naming what a diverged branch loses. */
function firstFinishedUnder(past: RunEvent[], scope: string, read: Set<string>): string | undefined {
  for (const e of past) if (e.type === 'step.finished' && e.step.startsWith(scope) && !read.has(e.step) && !prefixes(e.step).some((p) => read.has(p))) return e.step;
  return undefined;
}

/** The part of the run store an execution uses, keeping nothing: events are numbered and collected in {@link emitted}. */
class DryStore {
  readonly emitted: RunEvent[] = [];
  private seq: number;
  readonly location = 'dry replay';

  constructor(
    private readonly run: RunRecord,
    private readonly past: RunEvent[],
  ) {
    this.seq = past.length;
  }

  append(runId: string, event: NewRunEvent, time = new Date()): RunEvent {
    const full = { ...event, runId, seq: ++this.seq, time: time.toISOString() } as RunEvent;
    this.emitted.push(full);
    return full;
  }

  async flush(): Promise<void> {}
  async updateRun(): Promise<void> {}
  async getRun(): Promise<RunRecord> {
    return this.run;
  }
  async isCancelRequested(): Promise<boolean> {
    return false;
  }
  async takeBroadcast(): Promise<undefined> {
    return undefined;
  }
  /** A lock the log holds stays held; any other is queued (the replay stops at it). */
  async acquireLock(request: { key: string }): Promise<LockAcquired> {
    const held = this.past.some((e) => e.type === 'lock.acquired' && e.key === request.key) && !this.past.some((e) => e.type === 'lock.released' && e.key === request.key);
    return held ? { state: 'held', now: false } : { state: 'queued', now: false };
  }
  async releaseLock(): Promise<Record<string, never>> {
    return {};
  }
}
