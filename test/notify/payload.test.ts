import assert from 'node:assert/strict';
import type { NotificationRecord } from '../../packages/runtime/src/index.js';
import { consoleLink, notificationPayload, webhookBody } from '../../packages/runtime/src/notify/payload.js';

const base = { tenant: 'acme', runId: '01KC0000000000000000000001', flow: 'Purchase', createdAt: '2026-12-05T10:00:00.000Z' };

describe('notifications: the payload', () => {
  it("an approval's SLA breach links to the inbox row, a flow's to the run; the breach and its deadline are told", () => {
    const approval: NotificationRecord = { ...base, id: `${base.runId}:7`, seq: 7, kind: 'sla.breached', event: { type: 'sla.breached', key: 'approval:manager', node: 'n3', slaMs: 14_400_000, deadline: '2026-12-05T14:00:00.000Z', scope: 'approval' } };
    assert.deepEqual(notificationPayload(approval, 'https://baton.example.com/'), {
      type: 'sla.breached',
      id: `${base.runId}:7`,
      tenant: 'acme',
      runId: base.runId,
      flow: 'Purchase',
      at: base.createdAt,
      task: 'manager',
      deadline: '2026-12-05T14:00:00.000Z',
      breach: { key: 'approval:manager', slaMs: 14_400_000 },
      url: `https://baton.example.com/#/inbox?run=${base.runId}&task=manager`,
    });
    const flow: NotificationRecord = { ...base, id: `${base.runId}:9`, seq: 9, kind: 'sla.breached', event: { type: 'sla.breached', key: 'flow', node: 'Purchase', slaMs: 86_400_000, deadline: '2026-12-06T10:00:00.000Z', scope: 'flow' } };
    const payload = notificationPayload(flow, 'https://baton.example.com');
    assert.equal(payload.url, `https://baton.example.com/#/runs/${base.runId}`);
    assert.equal(payload.task, undefined);
    assert.deepEqual(JSON.parse(webhookBody(payload, 'slack')), { text: `*SLA breached: Purchase*\nRun ${base.runId} (tenant acme)\nThe run passed its SLA (due 2026-12-06T10:00:00.000Z)\n<https://baton.example.com/#/runs/${base.runId}|Open in Baton>` });
  });

  it("with linkTenant (a user works in several tenants) the link names the run's tenant, so it opens in that tenant", () => {
    const waiting: NotificationRecord = { ...base, tenant: 'globex', id: `${base.runId}:3`, seq: 3, kind: 'approval.waiting', event: { type: 'approval.waiting', task: 'sign_off' } };
    assert.equal(notificationPayload(waiting, 'https://b.example', true).url, `https://b.example/#/inbox?run=${base.runId}&task=sign_off&tenant=globex`);
    assert.equal(notificationPayload(waiting, 'https://b.example').url, `https://b.example/#/inbox?run=${base.runId}&task=sign_off`, 'not without it');
    const failed: NotificationRecord = { ...base, tenant: 'globex', id: `${base.runId}:4`, seq: 4, kind: 'run.failed', event: { type: 'run.failed', error: { code: 'E', message: 'm' } } };
    assert.equal(notificationPayload(failed, 'https://b.example', true).url, `https://b.example/#/runs/${base.runId}?tenant=globex`);
  });

  it("task names are encoded in links, and Slack's control characters escaped", () => {
    assert.equal(consoleLink('http://h:1', 'R1', 'sign[0]/a&b'), 'http://h:1/#/inbox?run=R1&task=sign%5B0%5D%2Fa%26b');
    const failed: NotificationRecord = { ...base, id: 'x:2', seq: 2, kind: 'run.failed', event: { type: 'run.failed', error: { code: 'E', message: 'a <b> & c' }, outputs: { secret: 1 } } };
    const text = (JSON.parse(webhookBody(notificationPayload(failed, 'http://h'), 'slack')) as { text: string }).text;
    assert.ok(text.includes('E: a &lt;b&gt; &amp; c'), text);
    assert.ok(!webhookBody(notificationPayload(failed, 'http://h'), 'baton').includes('secret'), 'no outputs');
  });
});
