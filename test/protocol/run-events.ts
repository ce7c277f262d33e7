// Helpers of the run-model tests: events of one run with seq and time filled in.
import type { NewRunEvent, RunEvent } from '../../packages/protocol/src/index.js';

export const RUN = '01JRUNMODEL';

/** `t(5)` → the ISO time 5 s after a fixed start. */
export function t(seconds: number): string {
  return new Date(Date.UTC(2026, 11, 4, 12, 0, 0) + seconds * 1000).toISOString();
}

/** Events numbered 1, 2, … in the order given; `at[i]` seconds (default i) after the start. */
export function log(events: (NewRunEvent & { at?: number })[]): RunEvent[] {
  return events.map(({ at, ...e }, i) => ({ ...e, runId: RUN, seq: i + 1, time: t(at ?? i) }) as RunEvent);
}

export const started: NewRunEvent = { type: 'run.started', flow: 'Order', inputs: { id: 7 }, file: '/w/order.flow', agents: { mode: 'stub' } };

export function stepStarted(step: string, node = `Order/${step}`, agent = 'writer'): NewRunEvent {
  return { type: 'step.started', step, node, agent, target: 'agent' };
}

export function stepFinished(step: string, extra: Partial<Extract<NewRunEvent, { type: 'step.finished' }>> = {}): NewRunEvent {
  return { type: 'step.finished', step, node: `Order/${step}`, agent: 'writer', status: 'succeeded', output: { ok: step }, durationMs: 1000, attempts: 1, tokens: 0, callIndexes: [0], ...extra };
}
