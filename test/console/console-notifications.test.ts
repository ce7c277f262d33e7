import assert from 'node:assert/strict';
import type { NotificationOutbox, RunStoreApi } from '../../packages/runtime/src/index.js';
import { ConsoleHarness, type ConsolePage } from './console-harness.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Hello {
  trigger webhook "/hello"
  step greet: Greeter { prompt: "hello" }
}
`;

/** Asserts the page broke no CSP rule, asked nothing of another origin and logged no error. */
async function clean(p: ConsolePage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violation');
  assert.deepEqual(p.offOrigin(), [], "no request off the server's origin");
  assert.deepEqual(p.errors, [], 'no console error');
}

describe('the console in a browser: #/notifications', function () {
  this.timeout(60_000);
  const harness = new ConsoleHarness();
  let dead: string;
  let sent: string;
  let runId: string;
  before(async () => {
    await harness.start({ flows: FLOWS, users: [{ name: 'olga', roles: ['operator'] }, { name: 'vic', roles: ['viewer'] }], serve: { notifyChannels: ['ops-hook'] } });
    // a failed run whose notification's delivery died (the receiver said 410) and an approval's that was sent
    const store = harness.store as RunStoreApi & NotificationOutbox;
    await store.setNotificationsEnabled(true);
    const now = new Date();
    ({ id: runId } = await store.createRun({ flow: 'Hello', inputs: {}, definition: { name: 'x', flows: {} } as never, startedAt: now.toISOString() }));
    store.append(runId, { type: 'approval.requested', task: 'sign', node: 'n1', options: [] });
    store.append(runId, { type: 'run.failed', error: { code: 'AGENT_FAILED', message: 'm' }, outputs: {} });
    await store.flush();
    for (const n of await store.newNotifications(10)) await store.expandNotification(n.id, ['ops-hook'], now);
    const [asked, failed] = await store.claimDeliveries('test', now, 10, 60_000);
    await store.markDelivery(asked.id, 'test', { status: 'sent' }, now);
    await store.markDelivery(failed.id, 'test', { status: 'dead', error: 'HTTP 410: this hook was deleted' }, now);
    dead = failed.id;
    sent = asked.id;
  });
  after(() => harness.stop());

  const row = (p: ConsolePage, id: string) => p.page.locator(`tr[data-delivery="${id}"]`);

  it('a viewer sees the dead delivery with its error and the sent one, and no Retry; the Dead filter shows the dead one only', async () => {
    const p = await harness.open('#/notifications');
    try {
      await p.signIn('vic');
      await row(p, dead).waitFor();
      assert.equal(await row(p, dead).getAttribute('data-status'), 'dead');
      assert.match(await row(p, dead).innerText(), /run failed[\s\S]*ops-hook[\s\S]*dead[\s\S]*HTTP 410: this hook was deleted/);
      assert.equal(await row(p, sent).getAttribute('data-status'), 'sent');
      assert.equal(await p.page.locator('vscode-button.retry').count(), 0, 'a viewer may not retry');
      assert.equal(await row(p, dead).locator(`a[href="#/runs/${runId}"]`).count(), 1, 'the run is a link');
      await p.page.locator('a.chip', { hasText: 'Dead' }).click();
      await p.page.waitForURL(/#\/notifications\?status=dead$/);
      await row(p, sent).waitFor({ state: 'detached' });
      assert.equal(await p.page.locator('tr[data-delivery]').count(), 1);
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('an operator retries the dead delivery: it is pending again, tried 0 times, due now', async () => {
    const p = await harness.open('#/notifications?status=dead');
    try {
      await p.signIn('olga');
      await p.page.waitForURL(/#\/notifications\?status=dead$/);
      await row(p, dead).locator('vscode-button.retry').click();
      // the list reads again: under the Dead filter the retried delivery is gone; under All it is pending
      await row(p, dead).waitFor({ state: 'detached' });
      await p.page.locator('a.chip', { hasText: 'All' }).click();
      await p.page.locator(`tr[data-delivery="${dead}"][data-status="pending"]`).waitFor();
      const [delivery] = (await (harness.store as RunStoreApi & NotificationOutbox).listDeliveries({ status: 'pending' })).deliveries;
      assert.deepEqual([delivery.id, delivery.attempts], [dead, 0]);
      assert.equal(await p.page.locator('p.notice').count(), 0, 'this server has channels: no notice');
      await clean(p);
    } finally {
      await p.close();
    }
  });
});
