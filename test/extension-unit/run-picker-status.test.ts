import assert from 'node:assert/strict';
import type { RunEvent, RunSummary } from '@baton/protocol';
import { followRunStatus } from '../../packages/extension/src/run-picker-status.js';

const ev = (e: Record<string, unknown>): RunEvent => ({ seq: 1, time: '2026-01-01T09:00:05.000Z', ...e }) as unknown as RunEvent;
const listed: RunSummary[] = [
  { runId: 'R2', status: 'waiting', startedAt: '2026-01-01T09:00:01.000Z' },
  { runId: 'R1', status: 'succeeded', startedAt: '2026-01-01T09:00:00.000Z' },
];

describe('graph panel run picker: statuses follow the run events', () => {
  it('a waiting run goes on as running once its approval is decided (run.resumed), then takes its closing status', () => {
    assert.equal(followRunStatus(listed, 'Offer', ev({ runId: 'R2', type: 'approval.decided', task: 'sign_off', decision: 'approved' })), undefined);
    const resumed = followRunStatus(listed, 'Offer', ev({ runId: 'R2', type: 'run.resumed', flow: 'Offer' }));
    assert.deepEqual(resumed?.map((r) => `${r.runId} ${r.status}`), ['R2 running', 'R1 succeeded']);
    assert.deepEqual(listed[0].status, 'waiting', 'the list given is not changed');
    const done = followRunStatus(resumed!, 'Offer', ev({ runId: 'R2', type: 'run.succeeded', outputs: {} }));
    assert.deepEqual(done?.map((r) => `${r.runId} ${r.status}`), ['R2 succeeded', 'R1 succeeded']);
    assert.deepEqual(followRunStatus(done!, 'Offer', ev({ runId: 'R2', type: 'run.waiting', waitingOn: [], outputs: {} }))?.[0].status, 'waiting');
    assert.equal(followRunStatus(done!, 'Offer', ev({ runId: 'R2', type: 'run.succeeded', outputs: {} })), undefined, 'unchanged');
  });

  it('lists a run of the drawn flow started now first; ignores other flows and unknown runs', () => {
    assert.deepEqual(followRunStatus(listed, 'Offer', ev({ runId: 'R3', type: 'run.started', flow: 'Offer', inputs: {} }))?.[0], { runId: 'R3', status: 'running', startedAt: '2026-01-01T09:00:05.000Z' });
    assert.equal(followRunStatus(listed, 'Offer', ev({ runId: 'R3', type: 'run.started', flow: 'Other', inputs: {} })), undefined);
    assert.equal(followRunStatus(listed, 'Offer', ev({ runId: 'R9', type: 'run.failed', error: { code: 'X', message: 'x' } })), undefined);
  });
});
