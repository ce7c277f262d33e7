import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { runStateFrom, type NewRunEvent } from '../../packages/protocol/src/index.js';
import { entryOf, touchedBy } from '../../packages/extension/src/run-entries.js';
import { log, started, stepFinished, stepStarted, t } from './run-events.js';

/** An answer of the generating step `plan` (agent Planner with `output: flow`). */
const generated = (attempt: number, accepted: boolean): NewRunEvent => ({
  type: 'flow.generated', step: 'plan', node: 'D/plan', agent: 'Planner', attempt, callIndex: attempt - 1, tokens: 0, source: `flow C${attempt} { }`,
  accepted,
  diagnostics: accepted ? [] : [{ line: 2, column: 9, code: 'unknown-agent', message: 'unknown agent or flow `X`' }, { line: 3, column: 1, code: 'parse-error', message: 'no' }],
  ...(accepted ? { flow: 'C2', definition: `sha256:${'a'.repeat(64)}` } : {}),
});

describe('run model: a generating step’s answers (flow.generated), and their Runs view entries', () => {
  it('folds each answer under its step, in attempt order, and writes an entry per answer', () => {
    const events = log([started, stepStarted('plan', 'D/plan', 'Planner'), generated(1, false), generated(2, true), stepFinished('plan')]);
    const s = runStateFrom(events);
    assert.deepEqual(s.steps.get('plan')!.written, [
      { attempt: 1, accepted: false, diagnostics: [{ line: 2, column: 9, code: 'unknown-agent', message: 'unknown agent or flow `X`' }, { line: 3, column: 1, code: 'parse-error', message: 'no' }], source: 'flow C1 { }', at: t(2) },
      { attempt: 2, accepted: true, diagnostics: [], source: 'flow C2 { }', at: t(3), flow: 'C2', definition: `sha256:${'a'.repeat(64)}` },
    ]);
    const [refused, accepted] = events.filter((e) => e.type === 'flow.generated').map((e) => touchedBy(e, s)[0]);
    assert.deepEqual(refused, { from: 'written', key: 'plan|1' });
    assert.deepEqual(entryOf(s, refused), {
      key: 'plan · flow 1', kind: 'flow', label: 'flow (refused)', node: 'D/plan', agent: 'plan · attempt 1', status: 'cancelled', attempts: 1, startedAt: t(2),
      output: { source: 'flow C1 { }' }, error: { code: 'unknown-agent', message: '2:9 unknown agent or flow `X` (+1 more)' },
    });
    assert.equal(entryOf(s, accepted)!.label, 'flow C2');
    assert.equal(entryOf(s, accepted)!.status, 'succeeded');
  });
});
