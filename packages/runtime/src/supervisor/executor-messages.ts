import type { EstimateConfig, JsonValue, RunStatus, WorkflowDefinition } from '@baton/protocol';
import type { DuePollResult } from './run-supervisor.js';

// The messages between baton serve's HTTP thread (ExecutorThread, executor-thread.ts) and its executor thread
// (serveExecutorThread, executor-worker.ts).

/** Main thread → executor thread. `seq` numbers one continuation, answered by one `settled`. */
export type ToExecutor =
  | { kind: 'start'; seq: number; definition: number | WorkflowDefinition; flowName: string; inputs: Record<string, JsonValue>; file?: string; startKey?: { scope: string; key: string }; tenant?: string; maxFlowDepth?: number; recordPrompts?: boolean; estimateConfig?: EstimateConfig }
  | { kind: 'continue'; seq: number; runId: string }
  | { kind: 'interrupt'; runId: string }
  /** One due-timer and SLA poll at `nowMs`, answered by one `polled`. */
  | { kind: 'poll'; seq: number; nowMs: number }
  | { kind: 'close' };

/** Executor thread → main thread. `active`/`queued`: the executor's counts after the change. */
export type FromExecutor =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'accepted'; seq: number; runId: string; duplicate: boolean; status?: RunStatus }
  | { kind: 'refused'; seq: number; code: string; message: string }
  | { kind: 'settled'; seq: number; runId: string }
  /** `seen`: the highest seq of a start or continuation handled so far (counted in `active`/`queued`). */
  | { kind: 'counts'; active: number; queued: number; seen: number }
  | { kind: 'log'; line: string }
  | ({ kind: 'polled'; seq: number } & DuePollResult)
  /** A continuation the executor began itself (a due run its poll resumed), under a negative `seq` settled like the others. */
  | { kind: 'adopted'; seq: number; runId: string }
  | { kind: 'closed' };


/** Refusals of a start that stored nothing of it: the rest of its batch is stored. */
export const REFUSALS = new Set(['UNKNOWN_FLOW', 'INPUT_INVALID']);
