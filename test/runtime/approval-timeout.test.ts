import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { check } from '../language/helpers.js';
import { compile, finished, run, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const FLOW = `
agent Pager { stub: "paged" }
agent Mailer { stub: "sent" }
flow Refund {
  approval manager_ok {
    prompt: "Refund?"
    assignee: "manager"
    timeout: 1h
    on timeout {
      step escalate: Pager { prompt: "no decision (\${manager_ok.output.decision})" }
    }
  }
  step notify: Mailer { prompt: "decided: \${manager_ok.output.decision}, \${escalate.output ?? "no escalation"}" }
}`;

for (const kind of STORE_KINDS) {
  describe(`approvals: timeout with an on timeout { … } escalation branch (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('nobody decides within the timeout: the decision is "timeout" and the escalation runs, then the flow goes on', async () => {
      const def = await compile(FLOW);
      let clock = Date.parse('2026-11-23T09:00:00Z');
      const now = () => new Date(clock);
      const first = await run(def, 'Refund', {}, { store: t.store, now });
      assert.equal(first.summary.status, 'waiting');
      assert.equal(first.summary.waitingOn[0].kind === 'approval' && first.summary.waitingOn[0].deadline, '2026-11-23T10:00:00.000Z');
      clock += 3_600_000;
      const events: RunEvent[] = [];
      const done = await resumeRun(first.summary.runId, { store: t.store, now, onEvent: (e) => events.push(e) });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(finished(events), ['escalate:succeeded', 'notify:succeeded']);
      const decided = events.find((e) => e.type === 'approval.decided');
      assert.deepEqual(decided?.type === 'approval.decided' && [decided.decision, decided.by], ['timeout', 'baton']);
      const stepOut = (name: string) => events.find((e) => e.type === 'step.finished' && e.step === name);
      assert.ok(stepOut('escalate'));
      const branch = events.find((e) => e.type === 'branch.taken');
      assert.equal(branch?.type === 'branch.taken' && branch.branch, 0);
    });

    it('a decision in time skips the escalation', async () => {
      const def = await compile(FLOW);
      const first = await run(def, 'Refund', {}, { store: t.store });
      await t.store.recordDecision(first.summary.runId, 'manager_ok', { decision: 'approved', by: 'ann' });
      const events: RunEvent[] = [];
      const done = await resumeRun(first.summary.runId, { store: t.store, onEvent: (e) => events.push(e) });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(finished(events), ['notify:succeeded']);
    });
  });
}

describe('approvals: timeout with an on timeout { … } escalation branch (the graph, the checker)', () => {
  it('the graph draws the escalation arm beside the decided one, joined after', async () => {
    const def = await compile(FLOW);
    const graph = buildFlowGraph(def, 'Refund');
    assert.deepEqual(
      graph.edges.map((e) => [e.source.replace('Refund/', ''), e.target.replace('Refund/', ''), e.label ?? '', e.branch ?? null]),
      [
        ['start', 'manager_ok', '', null],
        ['manager_ok', 'escalate', 'on timeout', 0],
        ['escalate', 'manager_ok/merge', '', null],
        ['manager_ok', 'manager_ok/merge', 'decided', 1],
        ['manager_ok/merge', 'notify', '', null],
        ['notify', 'end', '', null],
      ],
    );
  });

  it('the checker: a step of the escalation read after the approval needs ?? (it may not have run); the approval itself is readable inside', async () => {
    const { errors } = await check(FLOW.replace('${escalate.output ?? "no escalation"}', '${escalate.output}'));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['step-maybe-skipped', 'escalate']]);
  });
});
