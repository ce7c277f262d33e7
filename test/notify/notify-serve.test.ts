import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteRunStore, type User } from '../../packages/runtime/src/index.js';
import { ServeMetrics } from '../../packages/cli/src/serve/metrics.js';
import { NotifyMetrics } from '../../packages/cli/src/serve/notify-metrics.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import { DEFINITION } from '../store/conformance-support.js';

const user = (name: string, tenant: string, roles: User['roles']): User => ({ name, tenant, roles, groups: [], tokenEnv: 'X', token: `${name}-token` });
const USERS = [user('vic', 'acme', ['viewer']), user('oscar', 'acme', ['operator']), user('gina', 'globex', ['operator'])];
const T0 = new Date('2026-12-05T10:00:00.000Z');

describe('baton serve: GET /notifications and POST /notifications/<id>/retry, through HTTP', () => {
  let dir: string;
  let store: SqliteRunStore;
  let server: BatonServer | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-notify-serve-'));
    store = SqliteRunStore.open(path.join(dir, 'runs.db'));
    await store.setNotificationsEnabled(true);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A run of `tenant` whose approval's delivery to `hook` is dead (`HTTP 410`) and whose failure's was sent. */
  const deliveries = async (tenant: string): Promise<{ dead: string; sent: string }> => {
    const { id } = await store.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: T0.toISOString(), tenant });
    store.append(id, { type: 'approval.requested', task: 'sign', node: 'n1', options: [] });
    store.append(id, { type: 'run.failed', error: { code: 'E', message: 'm' }, outputs: {} });
    await store.flush();
    for (const n of await store.newNotifications(10)) await store.expandNotification(n.id, ['hook'], T0);
    const [asked, failed] = await store.claimDeliveries('test', T0, 10, 60_000);
    await store.markDelivery(asked.id, 'test', { status: 'dead', error: 'HTTP 410: gone' }, T0);
    await store.markDelivery(failed.id, 'test', { status: 'sent' }, T0);
    return { dead: asked.id, sent: failed.id };
  };
  const as = (token: string, route: string, method = 'GET') => fetch(`${server!.url}${route}`, { method, headers: { authorization: `Bearer ${token}` } });
  const answer = async (res: Response) => [res.status, (await res.json()) as Record<string, unknown> & { error?: { code: string } }] as const;

  it("lists the caller's tenant's deliveries with their last error; an operator retries a dead one, a viewer may not, another tenant's is not found, a sent one is refused", async () => {
    const acme = await deliveries('acme');
    await deliveries('globex');
    server = await startServer({ webhooks: new Map(), schedules: [], events: new Map() }, { store, host: '127.0.0.1', port: 0, users: USERS, insecure: false, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, now: () => T0, log: () => undefined, notifyChannels: ['hook'] });

    const [status, listed] = await answer(await as('vic-token', '/notifications'));
    assert.equal(status, 200);
    const rows = listed.deliveries as { id: string; tenant: string; status: string; lastError: string | null; kind: string }[];
    assert.deepEqual(rows.map((d) => [d.id, d.tenant, d.status, d.lastError, d.kind]).sort(), [
      [acme.dead, 'acme', 'dead', 'HTTP 410: gone', 'approval.waiting'],
      [acme.sent, 'acme', 'sent', null, 'run.failed'],
    ]);
    assert.deepEqual(listed.channels, ['hook']);
    const [, dead] = await answer(await as('vic-token', '/notifications?status=dead&limit=1'));
    assert.deepEqual((dead.deliveries as { id: string }[]).map((d) => d.id), [acme.dead]);
    assert.equal((await answer(await as('vic-token', '/notifications?status=lost')))[1].error?.code, 'BAD_QUERY');

    const retry = (token: string, id: string) => as(token, `/notifications/${encodeURIComponent(id)}/retry`, 'POST');
    const [viewer, refused] = await answer(await retry('vic-token', acme.dead));
    assert.deepEqual([viewer, refused.error?.code], [403, 'FORBIDDEN']);
    const [other, missing] = await answer(await retry('gina-token', acme.dead));
    assert.deepEqual([other, missing.error?.code], [404, 'NOTIFICATION_NOT_FOUND']);
    const [again, sent] = await answer(await retry('oscar-token', acme.sent));
    assert.deepEqual([again, sent.error?.code], [409, 'NOTIFICATION_SENT']);
    const [ok, retried] = await answer(await retry('oscar-token', acme.dead));
    assert.equal(ok, 200);
    assert.deepEqual([(retried.delivery as { status: string }).status, (retried.delivery as { attempts: number }).attempts], ['pending', 0]);
    assert.equal((await store.claimDeliveries('next', T0, 10, 60_000))[0].id, acme.dead, 'due now again');
  });

  it('/metrics: baton_notifications{state} from the store, baton_notifications_sent_total{channel,outcome} from the tries', async () => {
    await deliveries('acme');
    const metrics = new ServeMetrics();
    try {
      const counted = new NotifyMetrics(metrics.registry, store);
      counted.sent('hook', 'sent');
      counted.sent('hook', 'retry');
      counted.sent('hook', 'retry');
      const { text } = await metrics.exposition();
      assert.match(text, /^baton_notifications\{state="pending"\} 0$/m);
      assert.match(text, /^baton_notifications\{state="sent"\} 1$/m);
      assert.match(text, /^baton_notifications\{state="dead"\} 1$/m);
      assert.match(text, /^baton_notifications_sent_total\{channel="hook",outcome="retry"\} 2$/m);
      assert.match(text, /^baton_notifications_sent_total\{channel="hook",outcome="sent"\} 1$/m);
    } finally {
      metrics.close();
    }
  });
});
