import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueFrontDoor, RedisRateLimiter, RunQueue } from '../../packages/cluster/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { SharedRateLimits } from '../../packages/cli/src/serve/rate-limit.js';
import { startServer, type BatonServer, type ServeTenant } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { testServices } from '../cluster/test-services.js';
import { POSTGRES } from '../store/both-stores.js';

// `baton serve --queue`: a tenant's webhook rate limit is the cluster's — counted in the real Redis that
// scripts/services.mjs starts — not each front door's.

const FLOWS = `
agent Worker { stub: "ok" }
flow Lead {
  trigger webhook "/lead"
  step work: Worker { prompt: "work" }
}
`;
const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to `target` that the test can cut (every connection dropped, nothing accepted) and restore on its port. */
async function proxyTo(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      }).listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
  };
}

describe('baton serve --queue: a tenant\'s rate limit is counted across the cluster, in Redis', function () {
  this.timeout(60_000);
  let dir: string;
  let fresh: Awaited<ReturnType<typeof POSTGRES.fresh>>;
  const closers: (() => Promise<void>)[] = [];
  const lines: string[] = [];

  before(() => void testServices());
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-rate-cluster-'));
    writeFileSync(path.join(dir, 'lead.flow'), FLOWS);
    fresh = await POSTGRES.fresh();
    lines.length = 0;
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await fresh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A front door as `baton serve --queue` makes one: its own store handle, queue and Redis connection for the limits. */
  const frontDoor = async (tenant: ServeTenant): Promise<BatonServer> => {
    const store = await fresh.open();
    const queue = await RunQueue.open(testServices().redisUrl);
    const limiter = await RedisRateLimiter.open(testServices().redisUrl);
    const log = (line: string) => lines.push(line);
    const server = await startServer(await planFor(dir, 'UTC', quiet), {
      store,
      host: '127.0.0.1',
      port: 0,
      tenants: [tenant],
      insecure: false,
      maxBodyBytes: 4096,
      supervisor: new QueueFrontDoor({ store, queue, log }),
      rateLimits: new SharedRateLimits(limiter, log),
      schedules: false,
      timerPollMs: 0,
      log,
    });
    closers.push(async () => {
      await server.close();
      await queue.queue(tenant.id).obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await limiter.close();
    });
    return server;
  };

  it('two front doors on one Redis admit exactly max per window together; the others get 429 with Retry-After and store nothing', async () => {
    const tenant = { id: `rl${randomBytes(4).toString('hex')}`, webhookSecret: 's3cret', rateLimit: { max: 5, perMs: 60_000 } };
    const doors = [await frontDoor(tenant), await frontDoor(tenant)];
    const body = '{}';
    // 16 requests at once, alternating between the front doors (as a load balancer would)
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => fetch(`${doors[i % 2].url}/lead`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(tenant.webhookSecret, body) }, body })),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 202).length, 5, `exactly max admitted across both front doors: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 11);
    for (const refused of answers.filter((a) => a.status === 429)) {
      const seconds = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${refused.headers.get('retry-after')}`);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED');
    }
    const store = await fresh.open();
    assert.equal((await store.listRuns({ tenant: tenant.id })).length, 5, 'a refused request stores nothing');
    assert.deepEqual(lines.filter((l) => l.startsWith('rate limits:')), [], 'Redis counted every request');
  });

  it('the window slides: a refused count says when the oldest admission leaves it, and one more is admitted from then on', async () => {
    const limiter = await RedisRateLimiter.open(testServices().redisUrl);
    closers.push(() => limiter.close());
    const tenant = `rl${randomBytes(4).toString('hex')}`;
    const limit = { max: 2, perMs: 400 };
    assert.deepEqual(await limiter.take(tenant, limit), { admitted: true });
    assert.deepEqual(await limiter.take(tenant, limit), { admitted: true });
    const refused = await limiter.take(tenant, limit);
    assert.ok(!refused.admitted && refused.retryAfterMs > 0 && refused.retryAfterMs <= 400, JSON.stringify(refused));
    const from = Date.now();
    let taken = await limiter.take(tenant, limit);
    while (!taken.admitted) {
      await pause(5);
      taken = await limiter.take(tenant, limit);
    }
    // Redis's clock and this one count whole milliseconds: a few ms of rounding, never a whole early admission
    assert.ok(Date.now() - from >= refused.retryAfterMs - 5, `admitted after ${Date.now() - from} ms, told ${refused.retryAfterMs} ms`);
  });

  it('while Redis cannot count, each front door limits by itself (max per window), saying so once; counted in Redis again once it is back', async () => {
    const proxy = await proxyTo(new URL(testServices().redisUrl));
    closers.push(() => proxy.cut());
    const limiter = await RedisRateLimiter.open(proxy.url);
    closers.push(() => limiter.close());
    const limits = new SharedRateLimits(limiter, (line) => lines.push(line));
    const tenant = `rl${randomBytes(4).toString('hex')}`;
    const limit = { max: 2, perMs: 60_000 };
    assert.deepEqual(await limits.take(tenant, limit, Date.now()), { admitted: true }, 'counted in Redis');
    await proxy.cut();
    assert.deepEqual(await limits.take(tenant, limit, Date.now()), { admitted: true }, 'Redis away: admitted by this front door\'s own window');
    assert.deepEqual(await limits.take(tenant, limit, Date.now()), { admitted: true });
    const refused = await limits.take(tenant, limit, Date.now());
    assert.equal(refused.admitted, false, 'and limited by it');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^rate limits: the rate limit of tenant ${tenant} cannot be counted in Redis at redis://127.0.0.1:\\d+/?: .+; each front door limits by itself \\(max per window here\\) until Redis answers$`));
    await proxy.restore();
    // ioredis reconnects by itself; until it has, the counts stay local (one line said so already)
    let back = await limits.take(tenant, limit, Date.now());
    while (!lines.some((l) => l.includes('again'))) {
      await pause(20);
      back = await limits.take(tenant, limit, Date.now());
    }
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[1], /^rate limits: counted in Redis at redis:\/\/127\.0\.0\.1:\d+\/? again, cluster-wide$/);
    // this front door's own window is full: an admission now is Redis's, which held one from before it went away
    assert.deepEqual(back, { admitted: true });
    const full = await limits.take(tenant, limit, Date.now());
    assert.ok(!full.admitted && full.retryAfterMs <= 60_000, JSON.stringify(full));
  });
});
