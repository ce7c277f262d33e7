import { parentPort, workerData } from 'node:worker_threads';
import type { RunAgents, WorkflowDefinition } from '@baton/protocol';
import type { AgentCaller } from '../agents/agent.js';
import { activeRunTelemetry } from '../telemetry/run-telemetry.js';
import { queuedRun } from '../engine/engine.js';
import { BatonError } from '../errors.js';
import type { RunStore } from '../store/run-store.js';
import { SqliteRunStore } from '../store/sqlite-store.js';
import type { RunStoreApi } from '../store/store-api.js';
import { RunSupervisor, storeStart, type Continuation, type StartRequest, type StoredStart } from './run-supervisor.js';
import { DueTimerPoller } from './due-timers.js';
import type { SlaPollResult } from './sla.js';
import { REFUSALS, type FromExecutor, type ToExecutor } from './executor-messages.js';

// The executor thread's side of baton serve's ExecutorThread (executor-thread.ts): it stores the starts it is sent,
// executes runs in its RunSupervisor and polls due timers and SLAs with its own store connection.

/** What {@link serveExecutorThread}'s `build` returns: the executor's own store and agents. */
export interface ExecutorSetup {
  /** The executor's connection to the store (same file as the main thread's, same `lockWaiters`). */
  store: RunStoreApi;
  agents?: AgentCaller;
  runAgents: RunAgents;
  /** The most runs executing at once (≥ 1). */
  concurrency: number;
  /** {@link ExecutorThreadOptions.definitions}, in the same order. */
  definitions: WorkflowDefinition[];
}

/**
 * The executor thread's side of {@link ExecutorThread}: call it from the worker's entry. `build` opens the store
 * and builds the agents (an error it throws is reported to the main thread as `EXECUTOR_FAILED`, with its
 * message); then continuations are executed by a {@link RunSupervisor} until the main thread closes it.
 */
export async function serveExecutorThread(build: () => ExecutorSetup | Promise<ExecutorSetup>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveExecutorThread runs in a worker thread');
  const send = (message: FromExecutor): void => port.postMessage(message);
  let setup: ExecutorSetup;
  try {
    setup = await build();
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    port.close();
    return;
  }
  let seen = 0;
  /**
   * Continuations told to this thread whose run is still being stored queued ({@link RunSupervisor.resume} has not
   * resolved): counted as queued — `seen` covers them from the moment they arrive, so the main thread no longer
   * counts them as untold (on a server store the storing takes round trips; /health read 0 meanwhile).
   */
  let storing = 0;
  const countsNow = (): void => send({ kind: 'counts', active: supervisor.active(), queued: supervisor.waiting() + storing, seen });
  /** A continuation stopped: the counts first, so that an idle main thread sees 0 active. */
  const settled = (seq: number, runId: string): void => {
    countsNow();
    send({ kind: 'settled', seq, runId });
  };
  // as runs start and stop: one message per turn of the event loop, however many did
  let countsDue = false;
  const counts = (): void => {
    if (countsDue) return;
    countsDue = true;
    setImmediate(() => {
      countsDue = false;
      countsNow();
    });
  };
  const supervisor: RunSupervisor = new RunSupervisor({
    store: setup.store,
    agents: setup.agents,
    runAgents: setup.runAgents,
    concurrency: setup.concurrency,
    log: (line) => send({ kind: 'log', line }),
    onChange: counts,
    owner: (workerData as { batonLeaseOwner?: string } | null)?.batonLeaseOwner,
  });
  const starts: Extract<ToExecutor, { kind: 'start' }>[] = [];
  const now = (): Date => new Date();
  const requestOf = ({ seq: _seq, definition, ...rest }: Extract<ToExecutor, { kind: 'start' }>): StartRequest => ({
    ...rest,
    definition: typeof definition === 'number' ? setup.definitions[definition] : definition,
  });
  /**
   * Stores a burst of starts; the answers, in order. The embedded SQLite store takes the whole burst in one
   * commit (its synchronous `batch`, through {@link SqliteRunStore.database}: at hundreds of starts a second the
   * commits are what a start costs); another store takes each start in its own transaction.
   * @throws the store's error when the whole burst failed (nothing of it is stored).
   */
  const storeBurst = async (batch: Extract<ToExecutor, { kind: 'start' }>[]): Promise<FromExecutor[]> => {
    const refusedOrThrow = (seq: number, error: unknown): FromExecutor => {
      // refused before anything was written (UNKNOWN_FLOW, INPUT_INVALID)
      if (!(error instanceof BatonError) || !REFUSALS.has(error.code)) throw error;
      return { kind: 'refused', seq, code: error.code, message: error.message };
    };
    const answers: FromExecutor[] = [];
    if (setup.store instanceof SqliteRunStore) {
      const db = setup.store.database;
      db.batch(() => {
        answers.length = 0;
        for (const message of batch) {
          try {
            answers.push({ kind: 'accepted', seq: message.seq, ...storeStartNow(db, requestOf(message), { runAgents: setup.runAgents, now }) });
          } catch (error) {
            answers.push(refusedOrThrow(message.seq, error));
          }
        }
      });
      return answers;
    }
    for (const message of batch) {
      try {
        answers.push({ kind: 'accepted', seq: message.seq, ...(await storeStart(setup.store, requestOf(message), { runAgents: setup.runAgents, now })) });
      } catch (error) {
        answers.push(refusedOrThrow(message.seq, error));
      }
    }
    return answers;
  };
  const storeStarts = async (): Promise<void> => {
    const batch = starts.splice(0);
    let answers: FromExecutor[];
    try {
      answers = await storeBurst(batch);
    } catch (error) {
      // the store failed the whole batch: nothing of it is stored
      const code = error instanceof BatonError ? error.code : 'INTERNAL';
      seen = Math.max(seen, ...batch.map((m) => m.seq));
      countsNow();
      for (const { seq } of batch) send({ kind: 'refused', seq, code, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    // queued before they are answered, and counted: a /health right after a 202 counts the run
    for (const answer of answers) {
      if (answer.kind === 'accepted' && !answer.duplicate) {
        const { seq, runId } = answer;
        void supervisor.admit(runId).then(() => settled(seq, runId));
      }
    }
    seen = Math.max(seen, ...batch.map((m) => m.seq));
    countsNow();
    for (const answer of answers) send(answer);
  };
  /**
   * Continues `runId` here (see {@link RunSupervisor.resume}): resolves once it is stored queued (or found queued or
   * executing), then settles `seq` when that continuation stops — or at once when it could not continue.
   * @throws what `resume` throws (`RUN_FINISHED`, the store's errors).
   */
  const continueHere = async (seq: number, runId: string): Promise<Continuation> => {
    storing++;
    try {
      const continuation = await supervisor.resume(runId);
      void continuation.done.then(() => settled(seq, runId));
      return continuation;
    } catch (error) {
      settled(seq, runId);
      throw error;
    } finally {
      // queued (or executing) now, counted by the supervisor: the counts go out with the run's own change
      storing--;
      countsNow();
    }
  };
  // due timers and SLAs, polled here when the main thread asks (see ExecutorThread.pollDue): a run continued by a
  // poll is told to the main thread under a negative seq, so that its idle() waits for it as for any other
  let ownSeq = 0;
  let breaches: SlaPollResult['recorded'] = [];
  const poller = new DueTimerPoller({
    store: setup.store,
    supervisor: {
      has: (runId) => supervisor.has(runId),
      resume: (runId) => {
        const seq = --ownSeq;
        send({ kind: 'adopted', seq, runId });
        return continueHere(seq, runId);
      },
    },
    intervalMs: 0,
    log: (line) => send({ kind: 'log', line }),
    onSlaBreach: (breach) => breaches.push(breach),
  });
  const pollDue = async (seq: number, nowMs: number): Promise<void> => {
    breaches = [];
    const resumed = await poller.poll(nowMs);
    send({ kind: 'polled', seq, resumed, breaches });
  };
  port.on('message', (message: ToExecutor) => {
    switch (message.kind) {
      case 'start':
        starts.push(message);
        // the starts that arrived together are stored in one commit, before the runs they start execute
        if (starts.length === 1) setImmediate(() => void storeStarts());
        return;
      case 'continue': {
        void continueHere(message.seq, message.runId).catch((error: unknown) => {
          // finished or gone meanwhile (cancelled, say): nothing to continue
          if (!(error instanceof BatonError)) send({ kind: 'log', line: `run ${message.runId}: ${(error as Error).message}` });
        });
        seen = Math.max(seen, message.seq);
        countsNow();
        return;
      }
      case 'poll':
        void pollDue(message.seq, message.nowMs);
        return;
      case 'interrupt':
        return supervisor.interrupt(message.runId);
      case 'close':
        void supervisor
          .close()
          // what this thread traced is exported before it ends (bounded; docs/observability.md)
          .finally(() => activeRunTelemetry()?.shutdown())
          .finally(() => {
            const closed = (): void => {
              send({ kind: 'closed' });
              port.close();
            };
            setup.store.close().then(closed, closed);
          });
        return;
    }
  });
  send({ kind: 'ready' });
}

/**
 * {@link storeStart} on the embedded SQLite store's synchronous connection, inside its `batch` (the executor's
 * fast path for a burst of starts): the key is checked and recorded in the burst's transaction — one thread
 * stores the starts, so a check and its record cannot interleave with another start of the key.
 * @throws BatonError `UNKNOWN_FLOW`, `INPUT_INVALID` (nothing stored).
 */
export function storeStartNow(db: RunStore, request: StartRequest, options: { runAgents: RunAgents; now: () => Date }): StoredStart {
  if (request.startKey) {
    const previous = db.findStartKey(request.startKey.scope, request.startKey.key, request.tenant);
    if (previous) return { runId: previous, duplicate: true, status: db.getRun(previous).status };
  }
  const { init, started } = queuedRun(request.definition, request.flowName, request.inputs, { file: request.file, now: options.now, runAgents: options.runAgents, tenant: request.tenant, maxFlowDepth: request.maxFlowDepth, recordPrompts: request.recordPrompts, estimateConfig: request.estimateConfig });
  const runId = db.createRun(init);
  db.append(runId, started, new Date(init.startedAt));
  db.flush(runId);
  if (request.startKey) db.recordStartKey(request.startKey.scope, request.startKey.key, runId, request.tenant);
  return { runId, duplicate: false };
}
