// The run fold (packages/protocol run-model.ts): the state of a run from its stored log, as every view builds it
// (`baton runs show`, the editor's Runs view, the graph overlay, the console) — a 1,000-step run (every tenth step
// retried once, a parallel every 100 steps with its join, an approval and a timer every 250) folded whole with
// runStateFrom, and the same log folded one event at a time into a live state; best and median of 30 after a
// warm-up. Standalone: `node --import tsx bench/cases/run-model.ts [steps]`. Prints one JSON line per figure.
import { emptyRunModel, foldRunEvent, runStateFrom, type NewRunEvent, type RunEvent } from '../../packages/protocol/src/index.js';

const steps = Number(process.argv[2] ?? 1000);
const start = Date.UTC(2026, 11, 4);
const raw: NewRunEvent[] = [{ type: 'run.started', flow: 'Bench', inputs: {} }];
for (let i = 0; i < steps; i++) {
  const step = `s${i}`;
  const node = `Bench/s${i}`;
  raw.push({ type: 'step.started', step, node, agent: 'writer', target: 'agent' });
  if (i % 10 === 0) raw.push({ type: 'step.retrying', step, node, agent: 'writer', attempt: 1, delayMs: 100, error: { code: 'E', message: 'retry' }, callIndex: 0 });
  raw.push({ type: 'step.finished', step, node, agent: 'writer', status: 'succeeded', output: { text: `out ${i}` }, durationMs: 120, attempts: i % 10 === 0 ? 2 : 1, tokens: 900, costUsd: 0.0012, callIndexes: [0] });
  if (i % 100 === 99) raw.push({ type: 'join.reached', node: `Bench/parallel@${i}`, scope: '', counted: [0, 1], rest: 'keep', withdrawn: [], label: 'parallel' });
  if (i % 250 === 249) {
    raw.push({ type: 'approval.requested', task: `ok${i}`, node: `Bench/ok${i}`, options: ['approved', 'rejected'] });
    raw.push({ type: 'approval.decided', task: `ok${i}`, node: `Bench/ok${i}`, decision: 'approved', by: 'bench' });
    raw.push({ type: 'wait.started', key: `wait@${i}`, node: `Bench/w${i}`, durationMs: 1000, until: new Date(start + i * 1000).toISOString() });
    raw.push({ type: 'timer.fired', key: `wait@${i}`, node: `Bench/w${i}` });
  }
}
raw.push({ type: 'run.succeeded', outputs: {} });
const events = raw.map((e, i) => ({ ...e, runId: 'bench', seq: i + 1, time: new Date(start + i * 10).toISOString() }) as RunEvent);

function measure(fn: () => unknown): { best: number; median: number } {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)] };
}

const whole = measure(() => runStateFrom(events));
const live = measure(() => {
  const s = emptyRunModel('bench');
  for (const e of events) foldRunEvent(s, e);
  return s;
});
const check = runStateFrom(events);
if (check.totals.stepsFinished !== steps || check.status !== 'succeeded') throw new Error('bench run-model: the fold lost steps');
for (const [shape, r] of [['log', whole], ['live', live]] as const) {
  console.log(JSON.stringify({ system: 'baton-run-model', shape, n: steps, events: events.length, totalMs: r.best, medianMs: r.median, perStepUs: (r.best * 1000) / steps, perEventUs: (r.best * 1000) / events.length }));
}
