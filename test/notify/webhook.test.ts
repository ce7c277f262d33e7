import assert from 'node:assert/strict';
import { BatonError, outboxOf, secretKey, type NotificationOutbox, type SqliteRunStore } from '../../packages/runtime/src/index.js';
import { NotificationDispatcher } from '../../packages/runtime/src/notify/dispatcher.js';
import { compile, run, scriptedAgents, tempStore } from '../runtime/helpers.js';
import { closedPort, FLOWS, jsonObject, settingsWith, startReceiver, virtualClock, type Receiver } from './notify-support.js';

const SECRET = 'whsec_' + Buffer.from('a known test secret, 32 bytes ok').toString('base64');

describe('notifications: webhooks to a real receiver', () => {
  let t: ReturnType<typeof tempStore>;
  let outbox: NotificationOutbox;
  let receiver: Receiver | undefined;
  const logs: string[] = [];
  beforeEach(async () => {
    t = tempStore();
    outbox = outboxOf(t.store)!;
    await outbox.setNotificationsEnabled(true);
    logs.length = 0;
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    t.cleanup();
  });

  /** Runs Purchase to its approval (waiting) and Broken to its failure; the runs never wait for a notification. */
  const runFlows = async (store: SqliteRunStore): Promise<{ waiting: string; failed: string }> => {
    const def = await compile(FLOWS);
    const agents = scriptedAgents((r) => {
      if (r.prompt.startsWith('charge')) throw new BatonError('AGENT_UNAVAILABLE', 'the card processor is down');
      return 'ok';
    });
    const purchase = await run(def, 'Purchase', { amount: 1200 }, { store, agents });
    const broken = await run(def, 'Broken', { card: '4111-1111-1111-1111' }, { store, agents });
    assert.equal(purchase.summary.status, 'waiting');
    assert.equal(broken.summary.status, 'failed');
    return { waiting: purchase.summary.runId, failed: broken.summary.runId };
  };

  it('an endpoint down (closed port, then 503, then 200) is retried on the clock with backoff, then sent once, signed; the runs are unaffected', async () => {
    const clock = virtualClock();
    const port = await closedPort();
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith({ name: 'audit', on: ['approval.waiting', 'run.failed'], webhook: { url: `http://127.0.0.1:${port}/hooks/baton`, format: 'baton', secret: secretKey(SECRET) } }),
      serverUrl: 'http://127.0.0.1:1',
      now: clock.now,
      random: () => 0.5,
      log: (line) => logs.push(line),
    });
    const { waiting, failed } = await runFlows(t.store);

    await dispatcher.tick();
    let listed = (await outbox.listDeliveries({})).deliveries;
    assert.equal(listed.length, 2, 'one delivery per notification to the one channel');
    for (const d of listed) {
      assert.deepEqual([d.status, d.attempts, d.nextAt], ['pending', 1, clock.at(30_000)], 'first retry after firstDelay (jitter factor 1 at random 0.5)');
      assert.match(d.lastError ?? '', /ECONNREFUSED/);
    }

    receiver = await startReceiver(secretKey(SECRET), port);
    receiver.script.push({ status: 503, body: 'maintenance' }, { status: 503, body: 'maintenance' });
    clock.advance(29_999);
    await dispatcher.tick();
    assert.equal(receiver.requests.length, 0, 'nothing is tried before nextAt');
    clock.advance(1);
    await dispatcher.tick();
    assert.equal(receiver.requests.length, 2);
    listed = (await outbox.listDeliveries({})).deliveries;
    for (const d of listed) assert.deepEqual([d.status, d.attempts, d.nextAt, d.lastError], ['pending', 2, clock.at(30_000 + 60_000), 'HTTP 503: maintenance'], 'then after 2 × firstDelay');

    clock.advance(60_000);
    await dispatcher.tick();
    listed = (await outbox.listDeliveries({})).deliveries;
    assert.deepEqual(listed.map((d) => [d.status, d.attempts]), [['sent', 3], ['sent', 3]]);
    assert.equal(receiver.requests.length, 4);
    assert.ok(receiver.requests.every((r) => r.verified), 'every request carries a valid Standard Webhooks signature');
    assert.equal(receiver.deliveries.size, 2, 'deduplicated on webhook-id: two deliveries');
    assert.deepEqual([...receiver.deliveries.keys()].sort(), listed.map((d) => d.id).sort(), 'webhook-id is the delivery id');

    const approval = jsonObject([...receiver.deliveries.values()].find((r) => r.id.startsWith(waiting))!.body);
    const seq = Number(String(approval.id).split(':')[1]);
    assert.deepEqual(approval, {
      type: 'approval.waiting',
      id: `${waiting}:${seq}`,
      tenant: 'default',
      runId: waiting,
      flow: 'Purchase',
      at: approval.at,
      task: 'manager',
      assignee: 'finance',
      deadline: approval.deadline,
      url: `https://baton.example.com/#/inbox?run=${waiting}&task=manager`,
    });
    const failure = jsonObject([...receiver.deliveries.values()].find((r) => r.id.startsWith(failed))!.body);
    assert.equal(failure.type, 'run.failed');
    assert.deepEqual(failure.error, { code: 'AGENT_UNAVAILABLE', message: 'step charge failed: the card processor is down' });
    assert.equal(failure.url, `https://baton.example.com/#/runs/${failed}`);
    for (const r of receiver.requests) assert.ok(!r.body.includes('4111') && !r.body.includes('1200'), 'no inputs in a notification');

    // the runs went on as if nothing was sent: decided and finished after all this
    await t.store.recordDecision(waiting, 'manager', { decision: 'approved', by: 'ann' });
    const { resumeRun } = await import('../../packages/runtime/src/index.js');
    assert.equal((await resumeRun(waiting, { store: t.store, agents: scriptedAgents(() => 'ok') })).status, 'succeeded');
    assert.deepEqual(logs, []);
    await dispatcher.stop();
  });

  it('a 400 is dead after one try (one log line); a 429 is retried after its Retry-After; slack and teams formats', async () => {
    const clock = virtualClock();
    receiver = await startReceiver(secretKey(SECRET));
    const refusing = await startReceiver(secretKey(SECRET));
    refusing.script.push({ status: 400, body: 'unknown channel' });
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith(
        { name: 'slack', on: ['run.failed'], webhook: { url: receiver.url, format: 'slack' } },
        { name: 'teams', on: ['run.failed'], webhook: { url: receiver.url, format: 'teams', secret: secretKey(SECRET) } },
        { name: 'gone', on: ['run.failed'], webhook: { url: refusing.url, format: 'baton' } },
      ),
      serverUrl: 'http://127.0.0.1:1',
      now: clock.now,
      random: () => 0.5,
      log: (line) => logs.push(line),
    });
    receiver.script.push({ status: 429, headers: { 'retry-after': '7' } });
    const { failed } = await runFlows(t.store);
    try {
      await dispatcher.tick();
      const byChannel = new Map((await outbox.listDeliveries({})).deliveries.map((d) => [d.channel, d]));
      assert.deepEqual([byChannel.get('gone')!.status, byChannel.get('gone')!.attempts, byChannel.get('gone')!.lastError], ['dead', 1, 'HTTP 400: unknown channel']);
      assert.equal(logs.length, 1);
      assert.match(logs[0], new RegExp(`^notification ${failed}:\\d+:gone \\(run.failed, run ${failed}\\) is dead after 1 attempt: HTTP 400: unknown channel$`));
      const throttled = [...byChannel.values()].find((d) => d.status === 'pending')!;
      assert.equal(throttled.nextAt, new Date(clock.now().getTime() + 7000).toISOString(), "the 429's Retry-After, not the backoff");
      clock.advance(7000);
      await dispatcher.tick();
      assert.deepEqual([...(await outbox.listDeliveries({})).deliveries].map((d) => d.status).sort(), ['dead', 'sent', 'sent']);
      const bodies = new Map([...receiver.deliveries.values()].map((r) => [r.id.split(':').pop(), r]));
      const slack = jsonObject(bodies.get('slack')!.body);
      assert.deepEqual(Object.keys(slack), ['text']);
      assert.equal(slack.text, `*Run failed: Broken*\nRun ${failed}\nAGENT_UNAVAILABLE: step charge failed: the card processor is down\n<https://baton.example.com/#/runs/${failed}|Open in Baton>`);
      assert.equal(bodies.get('slack')!.verified, false, 'no secret, no signature');
      const teams = jsonObject(bodies.get('teams')!.body) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { text: string }[]; actions: { type: string; url: string }[] } }[] };
      assert.equal(teams.type, 'message');
      assert.equal(teams.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(teams.attachments[0].content.type, 'AdaptiveCard');
      assert.deepEqual(teams.attachments[0].content.body.map((b) => b.text), ['Run failed: Broken', `Run ${failed}`, 'AGENT_UNAVAILABLE: step charge failed: the card processor is down']);
      assert.deepEqual(teams.attachments[0].content.actions, [{ type: 'Action.OpenUrl', title: 'Open in Baton', url: `https://baton.example.com/#/runs/${failed}` }]);
      assert.equal(bodies.get('teams')!.verified, true);
    } finally {
      await dispatcher.stop();
      await refusing.close();
    }
  });

  it("with linkTenant (a user works in several tenants) the posted links name the run's tenant", async () => {
    receiver = await startReceiver(secretKey(SECRET));
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith({ name: 'audit', on: ['approval.waiting', 'run.failed'], webhook: { url: receiver.url, format: 'baton' } }),
      serverUrl: 'http://127.0.0.1:1',
      linkTenant: true,
      log: (line) => logs.push(line),
    });
    const { waiting, failed } = await runFlows(t.store);
    await dispatcher.tick();
    const urls = [...receiver.deliveries.values()].map((r) => (JSON.parse(r.body) as { url: string }).url).sort();
    assert.deepEqual(urls, [`https://baton.example.com/#/inbox?run=${waiting}&task=manager&tenant=default`, `https://baton.example.com/#/runs/${failed}?tenant=default`].sort(), 'settingsWith sets consoleUrl');
    await dispatcher.stop();
  });

  it('dead after maxAttempts of passing failures; a retried dead delivery is sent', async () => {
    const clock = virtualClock();
    receiver = await startReceiver(secretKey(SECRET));
    receiver.script.push({ status: 500 }, { status: 502 }, { status: 504 });
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith({ name: 'ops', on: ['approval.waiting'], flows: ['Purchase'], webhook: { url: receiver.url, format: 'baton' } }),
      serverUrl: 'http://127.0.0.1:1',
      now: clock.now,
      random: () => 0.5,
      log: (line) => logs.push(line),
    });
    await runFlows(t.store);
    for (const wait of [0, 30_000, 60_000]) {
      clock.advance(wait);
      await dispatcher.tick();
    }
    const [dead] = (await outbox.listDeliveries({})).deliveries;
    assert.deepEqual([dead.status, dead.attempts, dead.lastError], ['dead', 3, 'HTTP 504'], 'only the approval (flows: Purchase; on: approval.waiting), given up after 3 tries');
    assert.equal(logs.length, 1);
    await outbox.retryDelivery(dead.id, clock.now(), { tenant: 'default' });
    await dispatcher.tick();
    assert.equal((await outbox.listDeliveries({})).deliveries[0].status, 'sent');
    await dispatcher.stop();
  });
});
