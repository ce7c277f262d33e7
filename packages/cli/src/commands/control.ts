import type { JsonValue } from '@baton/protocol';
import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import { openStore, toCliError } from '../backend.js';
import { agentsToContinue, type AgentsMode } from '../agents-mode.js';
import { continueRun } from './run.js';
import { mcpServersOf } from '../mcp-servers.js';
import { enqueueRedrive, enqueueResume, waitsForEvent, type RunRecord, type RunStoreApi } from '@baton/runtime';
import { loadCluster } from '../cluster.js';
import { openQueue, queueUrlOf } from './worker.js';

/**
 * With a queue (`--queue` or `BATON_QUEUE`): hands `run` to the cluster's workers — marks it `queued` (a redrive
 * stores its redrive) and enqueues an activation on its tenant's queue — instead of continuing it here.
 * @returns whether it was handed over (false: no queue given).
 */
async function handToWorkers(store: RunStoreApi, run: RunRecord, opts: StoreOptions, how: 'resume' | 'redrive' | 'cancel', output: Output): Promise<boolean> {
  const url = queueUrlOf(opts.queue, false);
  if (!url) return false;
  const queue = await openQueue(await loadCluster(), url);
  try {
    const fresh = await store.getRun(run.id);
    if (how === 'redrive') await enqueueRedrive(run.id, { store, runAgents: fresh.agents ?? undefined, by: opts.by ?? currentUser() });
    else if (how === 'resume' && (fresh.status === 'waiting' || fresh.status === 'interrupted')) await enqueueResume(run.id, { store });
    await queue.activate(fresh.tenant ?? 'default', run.id, how);
    if (!opts.json) output.out(`Run ${run.id} goes to the workers of ${queue.location}.`);
    return true;
  } finally {
    await queue.close();
  }
}

interface StoreOptions {
  store?: string;
  /** `redis://…` (or BATON_QUEUE): a cluster's queue — the run is enqueued for `baton worker`s, not continued here. */
  queue?: string;
  json?: boolean;
  /** For the steps still to run (resume, approve, send, redrive): undefined keeps the run's own agents. */
  agents?: AgentsMode;
  /** Allows `agents` to differ from the run's own (the switch is recorded on `run.resumed`). */
  switchAgents?: boolean;
  /** Who cancels or redrives (recorded on the run's event; default the OS user). */
  by?: string;
}

/** `baton resume <id>`: continues an interrupted or waiting run. */
export async function resumeCommand(id: string, opts: StoreOptions, output: Output): Promise<number> {
  const storePath = resolveStorePath(opts.store);
  const store = await openStore(storePath);
  try {
    const run = await store.getRun(id);
    if (await handToWorkers(store, run, opts, 'resume', output)) return 0;
    return await continueRun(run.id, store, store.location, output, opts.json, agentsToContinue(run, opts.agents, opts.switchAgents), 'resume', [], opts.switchAgents);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** `baton cancel <id>`. */
export async function cancelCommand(id: string, opts: StoreOptions, output: Output): Promise<number> {
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const run = await store.getRun(id);
    const status = await store.requestCancel(run.id, opts.by ?? currentUser());
    output.out(status === 'cancelled' ? `Cancelled run ${run.id}.` : `Asked run ${run.id} to stop; it stops before its next step.`);
    if (status !== 'cancelled') await handToWorkers(store, run, { ...opts, json: true }, 'cancel', output);
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** Options of `baton approve`. */
export interface ApproveOptions extends StoreOptions {
  reject?: boolean;
  decision?: string;
  comment?: string;
  by?: string;
}

/** `baton approve <id> <task>`: records the decision, then continues the run. */
export async function approveCommand(id: string, task: string, opts: ApproveOptions, output: Output): Promise<number> {
  if (opts.reject && opts.decision) throw new UsageError('give either --reject or --decision, not both');
  const decision = opts.decision ?? (opts.reject ? 'rejected' : 'approved');
  const storePath = resolveStorePath(opts.store);
  const store = await openStore(storePath);
  try {
    const run = await store.getRun(id);
    const chosen = agentsToContinue(run, opts.agents, opts.switchAgents); // before the decision: a refusal records nothing
    mcpServersOf(run.file ?? undefined); // and a wrong mcp.servers too
    const decided = await store.recordDecision(run.id, task, { decision, by: opts.by ?? currentUser(), comment: opts.comment });
    if (!opts.json) output.out(`Recorded "${decision}" for ${task} on run ${run.id}.`);
    if (await handToWorkers(store, run, opts, 'resume', output)) return 0;
    return await continueRun(run.id, store, store.location, output, opts.json, chosen, 'resume', [decided], opts.switchAgents);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** `baton send <id> <event> [--data json]`: delivers the event, then continues the run. */
export async function sendCommand(id: string, event: string, opts: StoreOptions & { data?: string }, output: Output): Promise<number> {
  let data: JsonValue = null;
  if (opts.data !== undefined) {
    try {
      data = JSON.parse(opts.data) as JsonValue;
    } catch (error) {
      throw new UsageError(`--data: not valid JSON (${(error as Error).message})`);
    }
  }
  const storePath = resolveStorePath(opts.store);
  const store = await openStore(storePath);
  try {
    const run = await store.getRun(id);
    const chosen = agentsToContinue(run, opts.agents, opts.switchAgents); // before the event: a refusal records nothing
    mcpServersOf(run.file ?? undefined); // and a wrong mcp.servers too
    const received = await store.recordSignal(run.id, event, data);
    const forLoop = run.waitingOn.some((w) => w.kind === 'event' && w.event === event && w.stream);
    if (received.type === 'event.buffered' && forLoop) {
      // an event loop (`foreach … in event`) waits for it: kept in the log, its next instance takes it now
      if (opts.json) output.out(JSON.stringify(received));
      else output.out(`Delivered event "${event}" to run ${run.id}: its \`foreach … in event "${event}"\` starts an instance for it.`);
    } else if (received.type === 'event.buffered') {
      if (opts.json) output.out(JSON.stringify(received));
      else output.out(`Kept event "${event}" for run ${run.id} until ${received.expires}: it does not wait for it yet; its \`wait event "${event}"\` takes it.`);
      // the run may have stopped at that wait while the event was being kept: then it continues now and takes it
      const now = await store.getRun(run.id);
      if (!(now.status === 'waiting' && waitsForEvent(now, event))) return 0;
    } else if (!opts.json) output.out(`Delivered event "${event}" to run ${run.id}.`);
    if (await handToWorkers(store, run, opts, 'resume', output)) return 0;
    return await continueRun(run.id, store, store.location, output, opts.json, chosen, 'resume', [received], opts.switchAgents);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** Who acts from this shell: `$USER`, else the OS user's name, else `unknown` (recorded as `by`). */
export function currentUser(): string {
  try {
    return process.env.USER || userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `baton runs redrive <id>`: a failed run continues from the step that failed it (see `redriveRun`). */
export async function redriveCommand(id: string, opts: StoreOptions, output: Output): Promise<number> {
  const storePath = resolveStorePath(opts.store);
  const store = await openStore(storePath);
  try {
    const run = await store.getRun(id);
    if (await handToWorkers(store, run, opts, 'redrive', output)) return 0;
    return await continueRun(run.id, store, store.location, output, opts.json, agentsToContinue(run, opts.agents, opts.switchAgents), 'redrive', [], opts.switchAgents, opts.by ?? currentUser());
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}
