import type { JsonValue } from '@baton/protocol';
import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import { openStore, toCliError } from '../backend.js';
import { agentsToContinue, type AgentsMode } from '../agents-mode.js';
import { continueRun } from './run.js';

interface StoreOptions {
  store?: string;
  json?: boolean;
  /** For the steps still to run (resume, approve, send, redrive): undefined keeps the run's own agents. */
  agents?: AgentsMode;
  /** Allows `agents` to differ from the run's own (the switch is recorded on `run.resumed`). */
  switchAgents?: boolean;
}

/** `baton resume <id>`: continues an interrupted or waiting run. */
export async function resumeCommand(id: string, opts: StoreOptions, output: Output): Promise<number> {
  const storePath = resolveStorePath(opts.store);
  const store = await openStore(storePath);
  try {
    const run = await store.getRun(id);
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
    const status = await store.requestCancel(run.id, currentUser());
    output.out(status === 'cancelled' ? `Cancelled run ${run.id}.` : `Asked run ${run.id} to stop; it stops before its next step.`);
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
    const decided = await store.recordDecision(run.id, task, { decision, by: opts.by ?? currentUser(), comment: opts.comment });
    if (!opts.json) output.out(`Recorded "${decision}" for ${task} on run ${run.id}.`);
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
    const received = await store.recordSignal(run.id, event, data);
    if (!opts.json) output.out(`Delivered event "${event}" to run ${run.id}.`);
    return await continueRun(run.id, store, store.location, output, opts.json, chosen, 'resume', [received], opts.switchAgents);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

function currentUser(): string {
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
    return await continueRun(run.id, store, store.location, output, opts.json, agentsToContinue(run, opts.agents, opts.switchAgents), 'redrive', [], opts.switchAgents);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}
