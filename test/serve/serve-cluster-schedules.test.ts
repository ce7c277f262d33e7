import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunStoreApi, Tenant } from '../../packages/runtime/src/index.js';
import { planFor, serveTenants } from '../../packages/cli/src/commands/serve.js';
import { scheduleStartKey } from '../../packages/cli/src/serve/scheduler.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { QueueFrontDoor, RunQueue } from '../../packages/cluster/src/index.js';
import { testServices } from '../cluster/test-services.js';
import { POSTGRES, STORE_KINDS } from '../store/both-stores.js';

const FLOWS = `
agent Slow { stub: "done" }
flow Nightly {
  trigger schedule "0 2 * * *"
  step work: Slow { prompt: "nightly" }
}
flow Hourly {
  trigger schedule "0 * * * *"
  step work: Slow { prompt: "hourly" }
}
`;

const INVOICES = `
agent Clerk { stub: "sent" }
flow Invoices {
  trigger schedule "30 3 * * *"
  step send: Clerk { prompt: "send the invoices" }
}
`;

const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;

for (const kind of STORE_KINDS) {
  describe(`baton serve: a schedule fires once per cluster, not once per server (${kind.name})`, function () {
    this.timeout(60_000);
    let dir: string;
    let store: Awaited<ReturnType<typeof kind.fresh>>;
    const servers: BatonServer[] = [];
    const logs: string[][] = [];
    /** A server on its own handle of the shared store, schedules driven by the test (fake clock). */
    const serve = async (tenants: Tenant[] = []): Promise<BatonServer> => {
      const lines: string[] = [];
      logs.push(lines);
      const handle: RunStoreApi = await store.open();
      const server = await startServer(await planFor(dir, 'UTC', quiet, tenants), { store: handle, host: '127.0.0.1', port: 0, insecure: true, maxBodyBytes: 1024, schedules: false, timerPollMs: 0, now: () => new Date('2026-11-23T09:00:00.000Z'), log: (l) => lines.push(l) });
      servers.push(server);
      return server;
    };

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-cluster-'));
      writeFileSync(path.join(dir, 'nightly.flow'), FLOWS);
      store = await kind.fresh();
      logs.length = 0;
    });
    afterEach(async () => {
      for (const s of servers.splice(0)) await s.close();
      await store.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('two servers fire the same 02:00 (one woken 1.5 s late): one run of it; the other says another server started it', async () => {
      const [a, b] = [await serve(), await serve()];
      const nightly = a.scheduler.entries.find((e) => e.label.endsWith('Nightly'))!;
      const day = a.scheduler.nextFire(nightly)!;
      assert.equal(day.toISOString(), '2026-11-24T02:00:00.000Z');
      assert.deepEqual(b.scheduler.entries.map((e) => e.id), a.scheduler.entries.map((e) => e.id), 'both name the schedules alike');
      // both fire at once; the key is the scheduled minute, not the moment each timer woke
      a.scheduler.due(day);
      b.scheduler.due(new Date(day.getTime() + 1500));
      await Promise.all([a.idle(), b.idle()]);
      const check = await store.open();
      const runs = await check.listRuns({ flow: 'Nightly' });
      assert.equal(runs.length, 1, `one run, not one per server: ${runs.map((r) => r.id).join(', ')}`);
      assert.equal(runs[0].status, 'succeeded');
      const told = logs.flat().filter((l) => l.startsWith(`schedule ${nightly.label}:`));
      assert.deepEqual(told, [`schedule ${nightly.label}: the 2026-11-24T02:00:00.000Z run was started by another server (run ${runs[0].id})`]);

      // the next fire time is a new key: one more run, again only one
      const next = a.scheduler.nextFire(nightly)!;
      assert.equal(next.toISOString(), '2026-11-25T02:00:00.000Z');
      b.scheduler.due(next);
      a.scheduler.due(next);
      await Promise.all([a.idle(), b.idle()]);
      assert.equal((await check.listRuns({ flow: 'Nightly' })).length, 2);
    });

    it('ten fire times raced by three servers: exactly one run per fire time and schedule', async () => {
      const three = [await serve(), await serve(), await serve()];
      const hourly = three[0].scheduler.entries.find((e) => e.label.endsWith('Hourly'))!;
      const check = await store.open();
      const fired: string[] = [];
      for (let i = 0; i < 10; i++) {
        const at = three[0].scheduler.nextFire(hourly)!;
        fired.push(at.toISOString());
        for (const server of i % 2 ? [...three].reverse() : three) server.scheduler.due(at);
        await Promise.all(three.map((s) => s.idle()));
      }
      const runs = await check.listRuns({ flow: 'Hourly', limit: 100 });
      assert.equal(runs.length, 10, 'one run per hour');
      assert.equal(new Set(fired).size, 10);
      assert.ok(runs.every((r) => r.status === 'succeeded'));
    });

    it('a schedule of a file in tenants.<id>.flows starts that tenant\'s run — still once per cluster; other files\' schedules stay tenant default\'s', async () => {
      mkdirSync(path.join(dir, 'billing'));
      writeFileSync(path.join(dir, 'billing', 'invoices.flow'), INVOICES);
      writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ tenants: { acme: { flows: ['billing'] } } }));
      const tenants = serveTenants(dir, {}, true);
      const [a, b] = [await serve(tenants), await serve(tenants)];
      const invoices = a.scheduler.entries.find((e) => e.label.endsWith('Invoices'))!;
      const nightly = a.scheduler.entries.find((e) => e.label.endsWith('Nightly'))!;
      assert.equal(invoices.tenant, 'acme');
      assert.equal(nightly.tenant, undefined, 'tenant default\'s');
      const at = a.scheduler.nextFire(invoices)!;
      a.scheduler.due(at);
      b.scheduler.due(at);
      const day = a.scheduler.nextFire(nightly)!;
      a.scheduler.due(day);
      b.scheduler.due(day);
      await Promise.all([a.idle(), b.idle()]);
      const check = await store.open();
      assert.deepEqual((await check.listRuns({ flow: 'Invoices' })).map((r) => [r.tenant, r.status]), [['acme', 'succeeded']], 'one run, tenant acme\'s');
      assert.deepEqual((await check.listRuns({ flow: 'Nightly' })).map((r) => r.tenant), ['default']);
      assert.ok(logs.flat().some((l) => / · Invoices started by schedule .* for tenant acme$/.test(l)), logs.flat().join('\n'));
    });
  });
}

describe('baton serve: the start key of a schedule', () => {
  it('is scoped by the schedule (file relative to the served folder, flow, cron, time zone) and keyed by the fire time', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-key-'));
    try {
      writeFileSync(path.join(dir, 'nightly.flow'), FLOWS);
      const plan = await planFor(dir, 'Europe/Berlin', quiet);
      assert.deepEqual(
        plan.schedules.map((s) => s.id),
        ['nightly.flow#Nightly@0 2 * * * Europe/Berlin', 'nightly.flow#Hourly@0 * * * * Europe/Berlin'],
      );
      assert.deepEqual(scheduleStartKey(plan.schedules[0], new Date('2026-11-24T01:00:00.000Z')), { scope: 'schedule:nightly.flow#Nightly@0 2 * * * Europe/Berlin', key: '2026-11-24T01:00:00.000Z' });
      // the same folder served from another place (another machine's checkout) names it alike
      const elsewhere = mkdtempSync(path.join(tmpdir(), 'baton-serve-key-'));
      try {
        writeFileSync(path.join(elsewhere, 'nightly.flow'), FLOWS);
        assert.deepEqual((await planFor(elsewhere, 'Europe/Berlin', quiet)).schedules.map((s) => s.id), plan.schedules.map((s) => s.id));
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('baton serve --queue: a tenant\'s schedule goes to its queue', function () {
  this.timeout(60_000);
  let dir: string;
  let fresh: Awaited<ReturnType<typeof POSTGRES.fresh>>;
  const closers: (() => Promise<void>)[] = [];
  before(() => void testServices());
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-tenant-queue-'));
    fresh = await POSTGRES.fresh();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await fresh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two front doors fire a schedule of tenants.<id>.flows: one run, the tenant\'s, enqueued on baton-runs-<id> (and nothing on default\'s)', async () => {
    const tenant = `acme${randomBytes(4).toString('hex')}`;
    mkdirSync(path.join(dir, 'billing'));
    writeFileSync(path.join(dir, 'billing', 'invoices.flow'), INVOICES);
    writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ tenants: { [tenant]: { flows: ['billing/invoices.flow'] } } }));
    const tenants = serveTenants(dir, {}, true);
    const queue = await RunQueue.open(testServices().redisUrl);
    closers.push(async () => {
      for (const id of [tenant, 'default']) await queue.queue(id).obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    });
    const doors: BatonServer[] = [];
    for (let i = 0; i < 2; i++) {
      const store = await fresh.open();
      const server = await startServer(await planFor(dir, 'UTC', quiet, tenants), {
        store,
        host: '127.0.0.1',
        port: 0,
        insecure: true,
        maxBodyBytes: 1024,
        supervisor: new QueueFrontDoor({ store, queue, log: () => undefined }),
        schedules: false,
        timerPollMs: 0,
        now: () => new Date('2026-11-23T09:00:00.000Z'),
        log: () => undefined,
      });
      closers.push(() => server.close());
      doors.push(server);
    }
    const entry = doors[0].scheduler.entries[0];
    const at = doors[0].scheduler.nextFire(entry)!;
    for (const door of doors) door.scheduler.due(at);
    await Promise.all(doors.map((d) => d.idle()));
    const runs = await (await fresh.open()).listRuns({ flow: 'Invoices' });
    assert.deepEqual(runs.map((r) => [r.tenant, r.status]), [[tenant, 'queued']], 'one run, the tenant\'s, left to the workers');
    const jobs = await queue.queue(tenant).getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(jobs.map((j) => j.data), [{ runId: runs[0].id, reason: 'start' }]);
    assert.equal((await queue.queue('default').getJobs(['waiting', 'delayed', 'prioritized'])).length, 0);
  });
});
