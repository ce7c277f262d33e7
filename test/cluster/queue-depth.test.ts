import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RunQueue } from '../../packages/cluster/src/index.js';
import { ServeMetrics } from '../../packages/cli/src/serve/metrics.js';
import { testServices } from './test-services.js';

// `baton serve --queue`'s /metrics reads the cluster's BullMQ queue depth from Redis (scripts/services.mjs starts it).

describe('cluster: the queue depth behind baton serve --queue’s /metrics', function () {
  this.timeout(30_000);
  let queue: RunQueue;
  let tenant: string;
  const metrics = new ServeMetrics();
  before(async () => {
    queue = await RunQueue.open(testServices().redisUrl);
  });
  beforeEach(() => {
    tenant = `depth_${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await queue.queue(tenant).obliterate({ force: true });
  });
  after(async () => {
    metrics.close();
    await queue.close();
  });

  it('counts a tenant’s waiting activations (delayed and in a paused queue too) per tenant; an empty queue reads 0', async () => {
    assert.deepEqual(await queue.depth(tenant), { waiting: 0, active: 0 });
    await queue.queue(tenant).pause();
    await queue.activate(tenant, '01JRUNAAAAAAAAAAAAAAAAAAAA', 'start');
    await queue.activate(tenant, '01JRUNBBBBBBBBBBBBBBBBBBBB', 'start');
    await queue.activate(tenant, '01JRUNCCCCCCCCCCCCCCCCCCCC', 'timer', { delayMs: 60_000 });
    assert.deepEqual(await queue.depth(tenant), { waiting: 3, active: 0 });
    const other = `depth_${randomBytes(4).toString('hex')}`;
    metrics.observeClusterQueue([tenant, other], (t) => queue.depth(t));
    const { text } = await metrics.exposition();
    assert.match(text, new RegExp(`^baton_queue_jobs\\{tenant="${tenant}",state="waiting"\\} 3$`, 'm'));
    assert.match(text, new RegExp(`^baton_queue_jobs\\{tenant="${tenant}",state="active"\\} 0$`, 'm'));
    assert.match(text, new RegExp(`^baton_queue_jobs\\{tenant="${other}",state="waiting"\\} 0$`, 'm'));
    await queue.queue(other).obliterate({ force: true });
  });
});
