// A run's timeline (a Gantt chart): one bar per step attempt, wait and compensation, from the run state.
import type { RunModel } from './run-model-types.js';

/** One bar of a run's timeline. Times are ISO 8601; `endedAt` is absent while it lasts. */
export interface TimelineBar {
  /** The step instance, wait key, `undo <step>`, or a tool call's `<step> · tool <callId>` ({@link toolCallKey}). */
  key: string;
  kind: 'step' | 'wait' | 'compensation' | 'tool';
  node: string;
  label: string;
  /** A step's attempt (1-based); retries are bars of their own. */
  attempt?: number;
  startedAt: string;
  endedAt?: string;
  /** The status of the step, wait or compensation (the last attempt's is the step's; an earlier one `failed`). */
  status: string;
}

/** The timeline's key of a step's tool call: `<step> · tool <callId>` (its label is `tool <name>`). */
export function toolCallKey(step: string, callId: string): string {
  return `${step} · tool ${callId}`;
}

/**
 * The bars of `state`, ordered by start (ties keep the order they were folded in): each step attempt (a retried step
 * has one bar per attempt, the failed ones `failed`), each tool call of a step's tool loop, each wait (approvals,
 * timers, events, locks, …) and each compensation. O(n log n) in the bars.
 */
export function runTimeline(state: RunModel): TimelineBar[] {
  const bars: TimelineBar[] = [];
  for (const step of state.steps.values()) {
    step.attempts.forEach((a, i) => {
      const last = i === step.attempts.length - 1;
      const bar: TimelineBar = { key: step.key, kind: 'step', node: step.node, label: step.key, attempt: a.attempt, startedAt: a.startedAt, status: last ? step.status : 'failed' };
      if (a.endedAt !== undefined) bar.endedAt = a.endedAt;
      bars.push(bar);
    });
    for (const call of step.tools ?? []) {
      const bar: TimelineBar = { key: toolCallKey(step.key, call.callId), kind: 'tool', node: step.node, label: `tool ${call.tool}`, startedAt: call.startedAt, status: call.status };
      if (call.endedAt !== undefined) bar.endedAt = call.endedAt;
      bars.push(bar);
    }
  }
  for (const w of state.waits.values()) {
    const bar: TimelineBar = { key: w.key, kind: 'wait', node: w.node, label: w.label, startedAt: w.startedAt, status: w.status };
    if (w.endedAt !== undefined) bar.endedAt = w.endedAt;
    bars.push(bar);
  }
  for (const c of state.compensations.values()) {
    const bar: TimelineBar = { key: `undo ${c.step}`, kind: 'compensation', node: c.node, label: `undo ${c.step}`, startedAt: c.startedAt, status: c.status };
    if (c.endedAt !== undefined) bar.endedAt = c.endedAt;
    bars.push(bar);
  }
  const at = bars.map((b, i) => ({ b, i, t: Date.parse(b.startedAt) || 0 }));
  at.sort((x, y) => x.t - y.t || x.i - y.i);
  return at.map((x) => x.b);
}
