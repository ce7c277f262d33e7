import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { describe as describeEvent } from '../../packages/extension/src/run-output-lines.js';

const base = { runId: '01RUN', seq: 1, time: '2026-11-23T10:00:00.000Z' };

describe('the "Baton" output channel lines', () => {
  it('shows a real step’s tokens and cost, a circuit opening, and a redrive — durations, tokens, cost and times as the CLI writes them', () => {
    const lines = [
      { ...base, type: 'step.finished', step: 'w', node: 'F/w', agent: 'Writer', status: 'succeeded', durationMs: 12, attempts: 1, tokens: 1500, costUsd: 0.00036, callIndexes: [0] },
      { ...base, type: 'step.finished', step: 'x', node: 'F/x', agent: 'Writer', status: 'succeeded', durationMs: 90_000, attempts: 2, tokens: 1_234_567, costUsd: 1.5, callIndexes: [0] },
      { ...base, type: 'circuit.changed', agent: 'Api', state: 'open', failures: 5, until: '2026-11-23T10:00:30.000Z' },
      { ...base, type: 'run.resumed', flow: 'F', redrive: true },
      { ...base, type: 'run.resumed', flow: 'F' },
    ].map((e) => describeEvent(e as RunEvent));
    assert.deepEqual(lines, [
      '  ✓ w (Writer) 12 ms · 1,500 tokens · $0.0004',
      '  ✓ x (Writer) 1 min 30 s · 2 attempts · 1,234,567 tokens · $1.50',
      '  ⚡ circuit of Api open after 5 failures in a row, until 10:00:30',
      'run 01RUN · F redriven from the step that failed it',
      undefined,
    ]);
  });
});
