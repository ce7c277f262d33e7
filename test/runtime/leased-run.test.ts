import assert from 'node:assert/strict';
import os from 'node:os';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import { enqueueRun, executeLeased, resumeRun, startRun, isGoneLocalExecutor, isRunnable, lossesOf, MAX_RUN_LOSSES, type RunRecord, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, scriptedAgents } from './helpers.js';

const FLOWS = `
agent Worker { stub: "ok" }
flow Chain {
  step a: Worker { prompt: "a" }
  step b: Worker { prompt: "b" }
  step c: Worker { prompt: "c" }
}
flow Gated {
  step first: Worker { prompt: "first" }
  approval go { prompt: "go?" }
  step after: Worker { prompt: "after" }
}
`;

/** A gate a test opens: agent calls wait on it. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

/** Resolves once `check` holds (polled; the tests wait for a state, never for a fixed time). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stepsFinished = (events: RunEvent[]): string[] => events.flatMap((e) => (e.type === 'step.finished' ? [e.step] : []));

for (const kind of STORE_KINDS) {
  describe(`runtime: a run executes only under its lease (${kind.name})`, function () {
    this.timeout(30_000);
    let def: WorkflowDefinition;
    let fresh: Awaited<ReturnType<typeof kind.fresh>>;
    let store: RunStoreApi;
    before(async () => (def = await compile(FLOWS)));
    beforeEach(async () => {
      fresh = await kind.fresh();
      store = await fresh.open();
    });
    afterEach(() => fresh.cleanup());

    it('holds the lease while the run executes and lets it go at the end', async () => {
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      const inStep = gate();
      const release = gate();
      const agents = scriptedAgents(async (request) => {
        if (request.stepKey === 'b') {
          inStep.open();
          await release.wait;
        }
        return 'ok';
      });
      const outcome = executeLeased(id, { store, owner: 'host/1/a', agents, ttlMs: 60_000 });
      await inStep.wait;
      const other = await fresh.open();
      assert.equal((await other.leaseOf(id))?.owner, 'host/1/a', 'held while executing');
      assert.deepEqual(await executeLeased(id, { store: other, owner: 'host/2/b', agents }), { kind: 'busy', lease: await other.leaseOf(id) }, 'nobody else executes it meanwhile');
      release.open();
      const done = await outcome;
      assert.equal(done.kind, 'executed');
      assert.equal(done.kind === 'executed' && done.summary.status, 'succeeded');
      assert.equal(await other.leaseOf(id), undefined, 'released');
      assert.deepEqual(stepsFinished(await other.getEvents(id)), ['a', 'b', 'c']);
      assert.deepEqual(await executeLeased(id, { store: other, owner: 'host/2/b', agents }), { kind: 'idle', status: 'succeeded' });
    });

    it('takes over a run its lost executor left running: finished steps are not called again, the takeover is recorded', async () => {
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      // the first executor: claims with a short lease, finishes a, starts b, and is killed (never renews)
      const first = await fresh.open();
      const dead = (await first.claimLease(id, 'host/1/dead', 1))!;
      assert.ok(dead);
      const dying = scriptedAgents(async (request) => {
        if (request.stepKey === 'b') await new Promise(() => undefined); // hangs: the process is gone
        return 'ok';
      });
      const { runQueued } = await import('../../packages/runtime/src/index.js');
      void runQueued(id, { store: first, agents: dying }).catch(() => undefined);
      await until(async () => (await store.getEvents(id)).some((e) => e.type === 'step.started' && e.step === 'b'), 'b to start');
      const agents = scriptedAgents(() => 'ok');
      const outcome = await executeLeased(id, { store, owner: 'host/2/new', agents, ttlMs: 60_000 });
      assert.equal(outcome.kind, 'executed');
      assert.deepEqual(agents.calls.map((c) => c.stepKey), ['b', 'c'], 'a is not called again; b (in flight) and c are');
      const events = await store.getEvents(id);
      assert.equal(lossesOf(events), 1);
      assert.ok(events.some((e) => e.type === 'run.resumed' && e.takeover === true));
      assert.deepEqual(stepsFinished(events), ['a', 'b', 'c'], 'exactly one step.finished per step');
      assert.equal((await store.getRun(id)).status, 'succeeded');
    });

    it('counts a takeover whose own executor is lost before the run executes: the next one finds the loss in the log', async () => {
      // A run left running is made queued to be continued. The run.resumed marking the takeover used to be written
      // only when the run executed: an executor lost in between (killed, its lease gone) left the run queued with no
      // trace of the loss, so the next one neither marked it nor counted it towards WORKER_LOST (found by the soak).
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      const first = await fresh.open();
      const deadLease = await first.claimLease(id, 'host/1/dead', 1);
      assert.ok(deadLease);
      await first.updateRun(id, { status: 'running' }); // the first executor is gone, the run left running
      // its 1 ms lease must have expired (by the store's clock, ms) before the next executor claims: on a fast machine
      // the claim came within that millisecond and was refused as busy
      await until(() => Date.parse(deadLease.expiresAt) < Date.now(), 'the lost executor\'s lease to expire');
      const dying = new Proxy(store, {
        get(target, name, receiver) {
          // the second executor is lost right after it made the run queued, before it executes anything
          if (name === 'getDefinition') return async () => Promise.reject(new Error('killed'));
          return Reflect.get(target, name, receiver) as unknown;
        },
      });
      await assert.rejects(executeLeased(id, { store: dying, owner: 'host/2/lost', agents: scriptedAgents(() => 'ok'), ttlMs: 60_000 }), /killed/);
      const left = await store.getEvents(id);
      assert.equal(lossesOf(left), 1, 'the takeover is in the log');
      assert.equal((await store.getRun(id)).status, 'queued');
      const agents = scriptedAgents(() => 'ok');
      const outcome = await executeLeased(id, { store, owner: 'host/3/next', agents, ttlMs: 60_000 });
      assert.equal(outcome.kind === 'executed' && outcome.summary.status, 'succeeded');
      const events = await store.getEvents(id);
      assert.equal(lossesOf(events), 1, 'one loss, marked once');
      assert.deepEqual(stepsFinished(events), ['a', 'b', 'c']);
    });

    it(`fails a run that lost its executor ${MAX_RUN_LOSSES} times with WORKER_LOST (a dead letter), calling nothing`, async () => {
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      for (let loss = 0; loss < MAX_RUN_LOSSES - 1; loss++) {
        store.append(id, { type: 'run.resumed', flow: 'Chain', takeover: true });
      }
      await store.updateRun(id, { status: 'running' });
      const agents = scriptedAgents(() => 'ok');
      const outcome = await executeLeased(id, { store, owner: 'host/2/new', agents });
      assert.equal(outcome.kind, 'dead-letter');
      const run = await store.getRun(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'WORKER_LOST');
      assert.match(run.error!.message, /lost its executor 3 times.*baton runs redrive/);
      assert.equal(agents.calls.length, 0);
      assert.equal((await store.getEvents(id)).at(-1)?.type, 'run.failed');
    });

    it('stops an executor whose lease was taken over (paused, partitioned): it writes nothing after, no duplicate step', async () => {
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      const inB = gate();
      const hold = gate();
      const stale = scriptedAgents(async (request) => {
        if (request.stepKey === 'b') {
          inB.open();
          await hold.wait; // paused
        }
        return 'stale';
      });
      const staleRun = executeLeased(id, { store, owner: 'host/1/stale', agents: stale, ttlMs: 90 });
      await inB.wait;
      // another executor takes the run over (as after the stale one's lease expired)
      const other = await fresh.open();
      const taken = await other.claimLease(id, 'host/2/new', 60_000, 'host/1/stale');
      assert.ok(taken);
      const outcome = await staleRun; // its renewal is refused: it stops without waiting for its agent
      assert.equal(outcome.kind, 'lost');
      hold.open();
      const events = await other.getEvents(id);
      assert.deepEqual(stepsFinished(events), ['a'], 'the stale executor wrote nothing after it lost the lease');
      assert.equal(new Set(events.map((e) => e.seq)).size, events.length, 'no duplicate seq');
      await other.releaseLease(taken!);
    });

    it('continues a waiting run whose decision was stored, and leaves one alone that nothing reached', async () => {
      const { id } = await enqueueRun(def, 'Gated', {}, { store });
      const agents = scriptedAgents(() => 'ok');
      const first = await executeLeased(id, { store, owner: 'host/1/a', agents });
      assert.equal(first.kind === 'executed' && first.summary.status, 'waiting');
      assert.deepEqual(await executeLeased(id, { store, owner: 'host/1/a', agents }), { kind: 'idle', status: 'waiting' }, 'nothing came: not continued');
      await store.recordDecision(id, 'go', { decision: 'approved' });
      const second = await executeLeased(id, { store, owner: 'host/2/b', agents });
      assert.equal(second.kind === 'executed' && second.summary.status, 'succeeded');
      assert.deepEqual(agents.calls.map((c) => c.stepKey), ['first', 'after']);
    });

    it('the engine\'s own runs (baton run, resume, redrive) hold the lease when asked; resume of a run another executor holds is RUN_BUSY and does nothing', async () => {
      const inB = gate();
      const release = gate();
      const agents = scriptedAgents(async (request) => {
        if (request.stepKey === 'b') {
          inB.open();
          await release.wait;
        }
        return 'ok';
      });
      const running = startRun(def, 'Chain', {}, { store, agents, lease: { owner: 'host/1/cli', ttlMs: 60_000 } });
      await inB.wait;
      const [id] = (await store.listRuns({})).map((r) => r.id);
      const other = await fresh.open();
      assert.equal((await other.leaseOf(id))?.owner, 'host/1/cli');
      const calls = agents.calls.length;
      await assert.rejects(resumeRun(id, { store: other, agents, lease: { owner: 'host/2/other' } }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'RUN_BUSY');
        assert.match(error.message, /is being executed by host\/1\/cli \(its lease runs until .*\); it continues there/);
        return true;
      });
      assert.equal(agents.calls.length, calls, 'nothing executed');
      release.open();
      assert.equal((await running).status, 'succeeded');
      assert.equal(await other.leaseOf(id), undefined, 'let go at the end');
    });

    it('takes at once the lease of an executor of this machine whose process is gone', async () => {
      const { id } = await enqueueRun(def, 'Chain', {}, { store });
      const gonePid = 2 ** 22 + 12345; // above the kernel's pid_max: no such process
      assert.ok((await store.claimLease(id, `${os.hostname()}/${gonePid}/x`, 60_000))!);
      const agents = scriptedAgents(() => 'ok');
      const outcome = await executeLeased(id, { store, owner: 'host/2/b', agents });
      assert.equal(outcome.kind === 'executed' && outcome.summary.status, 'succeeded');
    });

    it('an enqueued run is stored with its run.started in one commit: another process never finds it queued without it', async () => {
      // (a cluster's reconciler takes every queued run at once: one found without its run.started got a second
      // run.started from the worker, and the front door's own flush then failed with EVENTS_CONFLICT)
      const other = await fresh.open();
      const seen: string[][] = [];
      const watched = new Proxy(store, {
        get(target, name, receiver) {
          if (name !== 'createRun') return Reflect.get(target, name, receiver) as unknown;
          return async (...args: Parameters<RunStoreApi['createRun']>) => {
            const created = await target.createRun(...args);
            seen.push((await other.getEvents(created.id)).map((e) => e.type));
            return created;
          };
        },
      });
      const { id } = await enqueueRun(def, 'Chain', {}, { store: watched });
      assert.deepEqual(seen, [['run.started']], 'the moment the run is stored, its run.started is');
      assert.deepEqual((await other.getEvents(id)).map((e) => [e.seq, e.type]), [[1, 'run.started']]);
      const outcome = await executeLeased(id, { store: other, owner: 'host/3/c', agents: scriptedAgents(() => 'ok') });
      assert.equal(outcome.kind === 'executed' && outcome.summary.status, 'succeeded');
      assert.equal((await other.getEvents(id)).filter((e) => e.type === 'run.started').length, 1);
    });
  });
}

describe('runtime: what a leased executor continues', () => {
  const base = { id: 'R', flow: 'F', inputs: {}, outputs: {}, startedAt: '2026-01-01T00:00:00.000Z', waitingOn: [] } as unknown as RunRecord;
  const at = Date.parse('2026-01-01T01:00:00.000Z');
  it('queued, interrupted and running runs; not finished ones', () => {
    for (const status of ['queued', 'interrupted', 'running'] as const) assert.equal(isRunnable({ ...base, status }, [], at), true, status);
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) assert.equal(isRunnable({ ...base, status }, [], at), false, status);
  });
  it('a waiting run when a decision, its event, a due timer or a passed deadline came — not before', () => {
    const approval = { ...base, status: 'waiting', waitingOn: [{ kind: 'approval', task: 'go', node: 'n', options: [] }] } as unknown as RunRecord;
    assert.equal(isRunnable(approval, [], at), false);
    assert.equal(isRunnable(approval, [{ type: 'approval.decided', task: 'other' } as RunEvent], at), false);
    assert.equal(isRunnable(approval, [{ type: 'approval.decided', task: 'go' } as RunEvent], at), true);
    const event = { ...base, status: 'waiting', waitingOn: [{ kind: 'event', key: 'k', node: 'n', event: 'paid', deadline: '2026-01-01T02:00:00.000Z' }] } as unknown as RunRecord;
    assert.equal(isRunnable(event, [], at), false);
    assert.equal(isRunnable(event, [{ type: 'event.received', key: 'k' } as RunEvent], at), true);
    assert.equal(isRunnable(event, [], Date.parse('2026-01-01T02:00:00.000Z')), true, 'deadline passed');
    const timer = { ...base, status: 'waiting', waitingOn: [{ kind: 'timer', key: 't', node: 'n', until: '2026-01-01T01:00:00.001Z' }] } as unknown as RunRecord;
    assert.equal(isRunnable(timer, [], at), false);
    assert.equal(isRunnable(timer, [], at + 1), true);
  });
  it('an executor id of this machine whose process is gone — not this process, not another machine, not a live pid', () => {
    assert.equal(isGoneLocalExecutor(`${os.hostname()}/${2 ** 22 + 1}/x`), true);
    assert.equal(isGoneLocalExecutor(`${os.hostname()}/${process.pid}/x`), false);
    assert.equal(isGoneLocalExecutor(`${os.hostname()}/${process.ppid}/x`), false);
    assert.equal(isGoneLocalExecutor(`elsewhere.example/${2 ** 22 + 1}/x`), false);
    assert.equal(isGoneLocalExecutor('garbage'), false);
  });
});
