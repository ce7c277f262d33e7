import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { Queue } from 'bullmq';
import { ClusterWorker, RunQueue, queueNameOf } from '../../packages/cluster/src/index.js';
import { BatonError, enqueueRun, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { compile, scriptedAgents } from '../runtime/helpers.js';
import { POSTGRES } from '../store/both-stores.js';
import { testServices } from './test-services.js';

// `baton worker`'s engine (ClusterWorker) on the real PostgreSQL and Redis scripts/services.mjs starts. Each test has
// a schema of its own and a tenant of its own (so its BullMQ queue is its own).

const FLOWS = `
agent Worker { stub: "ok" }
flow Chain {
  input n: number = 0
  step a: Worker { prompt: "a \${input.n}" }
  step b: Worker { prompt: "b" }
  step c: Worker { prompt: "c" }
}
flow Gated {
  step first: Worker { prompt: "first" }
  approval go { prompt: "go?" }
  step after: Worker { prompt: "after" }
}
flow Sleepy {
  step before: Worker { prompt: "before" }
  wait 3s
  step after: Worker { prompt: "after" }
}
`;

async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const finished = (events: RunEvent[]): string[] => events.flatMap((e) => (e.type === 'step.finished' ? [e.step] : []));

describe('cluster: the worker executes runs from BullMQ on Redis, on a PostgreSQL store', function () {
  this.timeout(60_000);
  let def: WorkflowDefinition;
  let fresh: Awaited<ReturnType<typeof POSTGRES.fresh>>;
  let store: RunStoreApi;
  let queue: RunQueue;
  let tenant: string;
  const workers: ClusterWorker[] = [];
  const lines: string[] = [];
  const start = async (options: Partial<Parameters<typeof ClusterWorker.start>[0]> = {}): Promise<ClusterWorker> => {
    const worker = await ClusterWorker.start({ store: await fresh.open(), queue, tenants: [tenant], concurrency: 4, leaseTtlMs: 2000, reconcileEveryMs: 60_000, shortWaitMs: 0, log: (line) => lines.push(line), ...options });
    workers.push(worker);
    return worker;
  };

  before(async () => {
    testServices();
    def = await compile(FLOWS);
  });
  beforeEach(async () => {
    fresh = await POSTGRES.fresh();
    store = await fresh.open();
    queue = await RunQueue.open(testServices().redisUrl);
    tenant = `t${randomBytes(4).toString('hex')}`;
    lines.length = 0;
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close();
    await queue.queue(tenant).obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await fresh.cleanup();
  });

  const newRun = async (flow: string, inputs: Record<string, unknown> = {}): Promise<string> => {
    const { id } = await enqueueRun(def, flow, inputs, { store, tenant });
    return id;
  };
  const statusOf = async (id: string): Promise<string> => (await store.getRun(id)).status;

  it('executes an activated run to its end; a job for a run that does not exist is dropped with one line', async () => {
    await start();
    const id = await newRun('Chain');
    await queue.activate(tenant, id, 'start');
    await queue.activate(tenant, 'NOSUCHRUN0', 'start');
    await until(async () => (await statusOf(id)) === 'succeeded', 'the run to succeed');
    assert.deepEqual(finished(await store.getEvents(id)), ['a', 'b', 'c']);
    await until(() => lines.find((l) => l.includes('NOSUCHRUN0')), 'the dropped job');
    assert.match(lines.find((l) => l.includes('NOSUCHRUN0'))!, /no such run in postgres:\/\/.*; dropped/);
  });

  it('two workers, 40 runs, every activation sent twice: each run executes once, one step.finished per step', async () => {
    const agents = scriptedAgents(async () => {
      await new Promise((r) => setTimeout(r, 2));
      return 'ok';
    });
    await start({ agents });
    await start({ agents });
    const ids: string[] = [];
    for (let n = 0; n < 40; n++) ids.push(await newRun('Chain', { n }));
    for (const id of ids) await queue.activate(tenant, id, 'start');
    for (const id of ids) await queue.activate(tenant, id, 'start'); // a duplicate activation is harmless
    await until(async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'succeeded'), 'every run to succeed');
    for (const id of ids) assert.deepEqual(finished(await store.getEvents(id)), ['a', 'b', 'c'], id);
    assert.equal(agents.calls.length, 40 * 3, 'each step called once');
    assert.ok(workers.every((w) => w.counts.executed > 0), 'both workers executed runs');
  });

  it('wakes a waiting run at its timer through a delayed job, and continues an approved one', async () => {
    await start();
    const sleepy = await newRun('Sleepy');
    const gated = await newRun('Gated');
    await queue.activate(tenant, sleepy, 'start');
    await queue.activate(tenant, gated, 'start');
    // looked for as soon as the run waits: the job is removed once the timer has fired (removeOnComplete), so a check
    // after the other run's wait lost the race on a busy machine (the wait is 3 s for the same reason)
    await until(async () => (await statusOf(sleepy)) === 'waiting', 'the sleepy run to wait');
    const probe = new Queue(queueNameOf(tenant), { connection: queue.connectionOptions });
    const timerJob = await until(async () => (await probe.getDelayed()).some((j) => j.data.runId === sleepy && j.data.reason === 'timer'), 'a delayed job for the timer', 2_500).finally(() => probe.close()); // an open connection would keep mocha from exiting after the suites
    assert.ok(timerJob, 'a delayed job for the timer');
    await until(async () => (await statusOf(gated)) === 'waiting', 'the gated run to wait');
    await until(async () => (await statusOf(sleepy)) === 'succeeded', 'the timer to wake it');
    await store.recordDecision(gated, 'go', { decision: 'approved', by: 'ops' });
    await queue.activate(tenant, gated, 'resume');
    await until(async () => (await statusOf(gated)) === 'succeeded', 'the approved run to finish');
    assert.deepEqual(finished(await store.getEvents(gated)), ['first', 'after']);
  });

  it('the reconciler enqueues runnable runs no job was sent for (as after Redis lost its jobs)', async () => {
    const worker = await start({ reconcileEveryMs: 300 });
    const queued = await newRun('Chain');
    const gated = await newRun('Gated');
    await queue.activate(tenant, gated, 'start');
    await until(async () => (await statusOf(gated)) === 'waiting', 'the gated run to wait');
    // its executor must have let it go: a decision it still sees (a signal while it executes) it continues itself,
    // with no reconciliation (on a busy machine the decision came before the lease was released)
    await until(async () => (await store.leaseOf(gated)) === undefined, 'the gated run\'s executor to let it go');
    await store.recordDecision(gated, 'go', { decision: 'approved' }); // and no job
    await until(async () => (await statusOf(queued)) === 'succeeded' && (await statusOf(gated)) === 'succeeded', 'the reconciler to continue both');
    assert.ok(worker.counts.reconciled >= 2);
  });

  it('two reconcilers record an SLA breach of a waiting run once (the run waits on: a breach cancels nothing)', async () => {
    const [one, two] = [await start(), await start()];
    const past = new Date(Date.now() - 60_000).toISOString();
    const id = await newRun('Gated');
    await queue.activate(tenant, id, 'start');
    await until(async () => (await statusOf(id)) === 'waiting', 'the gated run to wait');
    // its approval's SLA passed a minute ago (as if declared `sla: 1m`)
    await store.updateRun(id, { waitingOn: [{ kind: 'approval', task: 'go', node: 'Gated/go', options: ['approved', 'rejected'], slaDeadline: past, slaMs: 60_000 }], slaDueAt: past });
    await Promise.all([one.reconcile(tenant), two.reconcile(tenant), one.reconcile(tenant)]);
    // (a reconciliation job the workers scheduled may have recorded it: then it counts there)
    await until(() => one.counts.slaBreaches + two.counts.slaBreaches === 1, 'one breach counted');
    const breaches = (await store.getEvents(id)).filter((e) => e.type === 'sla.breached');
    assert.deepEqual(breaches.map((e) => e.type === 'sla.breached' && [e.key, e.deadline]), [['approval:go', past]]);
    assert.equal(await statusOf(id), 'waiting');
    assert.equal((await store.getRun(id)).slaDueAt, undefined);
  });

  it('a tenant\'s concurrency is its queue\'s across the cluster; a worker serves only its tenants', async () => {
    const agents = scriptedAgents(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return 'ok';
    });
    const other = `${tenant}x`;
    try {
      await start({ agents, tenantLimits: { [tenant]: { concurrency: 1 } } });
      await start({ agents, tenantLimits: { [tenant]: { concurrency: 1 } } });
      const ids: string[] = [];
      for (let n = 0; n < 6; n++) ids.push(await newRun('Chain', { n }));
      const elsewhere = (await enqueueRun(def, 'Chain', {}, { store, tenant: other })).id;
      await queue.activate(other, elsewhere, 'start');
      for (const id of ids) await queue.activate(tenant, id, 'start');
      await until(async () => (await Promise.all(ids.map(statusOf))).every((st) => st === 'succeeded'), 'every run to succeed');
      assert.equal(agents.maxInFlight, 1, 'one run of the tenant at a time, over two workers of concurrency 4');
      assert.equal(await statusOf(elsewhere), 'queued', 'no worker serves the other tenant: its run waits');
      const theirs = await start({ tenants: [other] });
      await until(async () => (await statusOf(elsewhere)) === 'succeeded', 'a worker of that tenant to run it');
      // counted once executeLeased returns, just after the run's end is stored: waited for, not read at once
      await until(() => theirs.counts.executed >= 1, 'the tenant\'s worker to count the run it executed');
    } finally {
      await queue.queue(other).obliterate({ force: true }).catch(() => undefined);
    }
  });

  it('refuses a wrong queue URL, a Redis that is not there and a bad tenant id with one clear error each', async () => {
    const refused = async (make: () => Promise<unknown>): Promise<BatonError> => {
      try {
        await make();
      } catch (error) {
        assert.ok(error instanceof BatonError);
        return error;
      }
      assert.fail('not refused');
    };
    assert.match((await refused(() => RunQueue.open('http://localhost:6379'))).message, /not a redis:\/\/ URL/);
    const down = await refused(() => RunQueue.open('redis://127.0.0.1:1', { connectTimeoutMs: 2000 }));
    assert.equal(down.code, 'QUEUE_UNREACHABLE');
    assert.match(down.message, /cannot reach Redis at 127\.0\.0\.1:1: connection refused/);
    assert.equal((await refused(() => start({ tenants: ['bad:id'] }))).code, 'TENANT_INVALID');
  });
});
