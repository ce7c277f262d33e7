import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { runStateFrom } from '../../packages/protocol/src/index.js';
import type { NewRunEvent } from '../../packages/protocol/src/index.js';
import { log, started, stepFinished, t } from './run-events.js';

const withPrompt = (step: string, prompt: string, promptTruncated?: true): NewRunEvent => ({ type: 'step.started', step, node: `Order/${step}`, agent: 'writer', target: 'agent', prompt, promptTruncated });

describe('run model: SLA breaches, rendered prompts, who sent an event', () => {
  it('sla.breached: one breach per key (the first event counts), the approval wait marked, the flow deadline from run.started', () => {
    const s = runStateFrom(log([
      { type: 'run.started', flow: 'Order', inputs: {}, slaDeadline: t(3600) },
      { type: 'approval.requested', task: 'manager', node: 'Order/manager', options: ['approved', 'rejected'], deadline: t(7200), slaDeadline: t(60) },
      { type: 'run.waiting', waitingOn: [{ kind: 'approval', task: 'manager', node: 'Order/manager', options: ['approved', 'rejected'], slaDeadline: t(60) }], outputs: {} },
      { type: 'sla.breached', key: 'approval:manager', node: 'Order/manager', slaMs: 59_000, deadline: t(60), scope: '', at: 61 },
      // a second poller's (or the engine's late) record of the same breach: the first one stays
      { type: 'sla.breached', key: 'approval:manager', node: 'Order/manager', slaMs: 59_000, deadline: t(60), scope: '', at: 90 },
      { type: 'sla.breached', key: 'flow', node: 'Order', slaMs: 3_600_000, deadline: t(3600), scope: '', at: 3601 },
    ]));
    assert.equal(s.slaDeadline, t(3600));
    assert.deepEqual([...s.slaBreaches.values()], [
      { key: 'approval:manager', kind: 'approval', node: 'Order/manager', task: 'manager', scope: '', slaMs: 59_000, deadline: t(60), time: t(61) },
      { key: 'flow', kind: 'flow', node: 'Order', task: undefined, scope: '', slaMs: 3_600_000, deadline: t(3600), time: t(3601) },
    ]);
    const w = s.waits.get('manager')!;
    assert.equal(w.slaDeadline, t(60));
    assert.equal(w.slaBreachedAt, t(61));
    assert.equal(w.status, 'waiting', 'a breach decides nothing');
    assert.equal(s.status, 'waiting');
  });

  it('a run with no breach has an empty slaBreaches', () => {
    const s = runStateFrom(log([started, { type: 'run.succeeded', outputs: {} }]));
    assert.equal(s.slaBreaches.size, 0);
    assert.equal(s.slaDeadline, undefined);
  });

  it('run.migrated renames an approval breach\'s node id to the new definition\'s (its task, a name, stays)', () => {
    const s = runStateFrom(log([
      started,
      { type: 'approval.requested', task: 'sign', node: 'Order/if@1.0', options: ['approved', 'rejected'] },
      { type: 'sla.breached', key: 'approval:sign', node: 'Order/if@1.0', slaMs: 1000, deadline: t(2), scope: '' },
      { type: 'run.migrated', from: 'a', to: 'b', flow: 'Order', renamed: { 'Order/if@1.0': 'Order/if@2.0' } },
    ]));
    assert.deepEqual([...s.slaBreaches.keys()], ['approval:sign']);
    assert.equal(s.slaBreaches.get('approval:sign')!.node, 'Order/if@2.0');
  });

  it('step.started: the rendered prompt (and its truncation) of the attempt; a retry without one keeps it', () => {
    const s = runStateFrom(log([
      started,
      withPrompt('a', 'Summarise order 7'),
      withPrompt('b', 'x'.repeat(10), true),
      stepFinished('a'),
      stepFinished('b'),
      { type: 'run.succeeded', outputs: {} },
    ]));
    assert.equal(s.steps.get('a')!.prompt, 'Summarise order 7');
    assert.equal(s.steps.get('a')!.promptTruncated, undefined);
    assert.equal(s.steps.get('b')!.prompt, 'x'.repeat(10));
    assert.equal(s.steps.get('b')!.promptTruncated, true);
  });

  it('event.received: who sent it is kept on the wait', () => {
    const s = runStateFrom(log([
      started,
      { type: 'event.waiting', key: 'paid', node: 'Order/paid', event: 'paid' },
      { type: 'event.received', event: 'paid', data: { ok: true }, key: 'paid', node: 'Order/paid', by: 'ann' },
    ]));
    assert.equal(s.waits.get('paid')!.by, 'ann');
  });
});
