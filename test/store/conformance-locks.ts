/**
 * The run store conformance suite's cases of named locks (issue 12, WCP-39): one holder per (tenant, name), first come
 * first served, hand-over with `lock.acquired` appended to the waiter's log, the backstop when a run ends. Registered
 * by `runStoreConformance` (conformance.ts) inside its suite, so that the SQLite and PostgreSQL suites both run them.
 * Several handles stand for several processes.
 */
import assert from 'node:assert/strict';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import type { ConformanceContext } from './conformance-support.js';

/** Registers the lock cases (call inside the suite's `describe`, with its context). */
export function lockConformance(context: ConformanceContext): void {
  const { open } = context;
  const newRun = (s: RunStoreApi, tenant?: string) => context.newRun(s, tenant ? { tenant } : {});
  const ask = (s: RunStoreApi, runId: string, lock = 'stock:A1', key = 'lock@F/lock@0') => s.acquireLock({ name: lock, runId, key, node: 'F/lock@0' });

  describe('named locks', () => {
    it('one holder per name; the others queue first come, first served; asking again changes nothing', async () => {
      const [s1, s2] = [await open(), await open()];
      const [a, b, c] = [await newRun(s1), await newRun(s2), await newRun(s1)];
      assert.deepEqual(await ask(s1, a), { state: 'held', now: true });
      const queuedB = await ask(s2, b);
      assert.equal(queuedB.state, 'queued');
      assert.equal(queuedB.holder?.runId, a);
      assert.equal(queuedB.ahead, 0);
      assert.equal((await ask(s1, c)).ahead, 1, 'c is behind b');
      assert.deepEqual(await ask(s1, a), { state: 'held', now: false }, 'the holder asking again still holds it');
      assert.equal((await ask(s2, b)).ahead, 0, 'b asking again keeps its place');
      assert.deepEqual(await ask(s1, a, 'stock:B2'), { state: 'held', now: true }, 'another name is another lock');
      const [lock] = (await s2.listLocks()).filter((l) => l.name === 'stock:A1');
      assert.equal(lock.tenant, 'default');
      assert.equal(lock.holder.runId, a);
      assert.deepEqual(lock.queue.map((p) => p.runId), [b, c]);
    });

    it('a release hands the lock to the oldest waiter and appends lock.acquired to its log', async () => {
      const [s1, s2] = [await open(), await open()];
      const [a, b, c] = [await newRun(s1), await newRun(s2), await newRun(s2)];
      await ask(s1, a);
      await ask(s2, b);
      await ask(s2, c);
      assert.deepEqual(await s1.releaseLock({ name: 'stock:A1', runId: a, key: 'lock@F/lock@0' }), { grantedTo: { runId: b, key: 'lock@F/lock@0' } });
      const log = await s1.getEvents(b);
      const granted = log.filter((e) => e.type === 'lock.acquired');
      assert.equal(granted.length, 1);
      assert.deepEqual({ ...granted[0], time: undefined, seq: undefined }, { type: 'lock.acquired', key: 'lock@F/lock@0', node: 'F/lock@0', name: 'stock:A1', from: a, runId: b, time: undefined, seq: undefined });
      assert.deepEqual(await ask(s2, b), { state: 'held', now: false }, 'b holds it: handed over, not taken by this call');
      assert.equal((await ask(s2, c)).holder?.runId, b);
      assert.deepEqual(await s1.releaseLock({ name: 'stock:A1', runId: a, key: 'lock@F/lock@0' }), {}, 'releasing what is not held does nothing');
      // a waiter that gives up leaves the queue without taking the lock
      await s2.releaseLock({ name: 'stock:A1', runId: c, key: 'lock@F/lock@0' });
      await s2.releaseLock({ name: 'stock:A1', runId: b, key: 'lock@F/lock@0' });
      assert.deepEqual(await s1.listLocks(), []);
      assert.equal((await s1.getEvents(c)).filter((e) => e.type === 'lock.acquired').length, 0);
    });

    it('two block instances of one run exclude each other like two runs', async () => {
      const s = await open();
      const a = await newRun(s);
      assert.equal((await ask(s, a, 'x', 'lock@F/lock@0.0')).state, 'held');
      assert.equal((await ask(s, a, 'x', 'lock@F/lock@0.1')).state, 'queued');
    });

    it('locks are per tenant', async () => {
      const s = await open();
      const a = await newRun(s, 'acme');
      const b = await newRun(s, 'globex');
      assert.equal((await ask(s, a)).state, 'held');
      assert.equal((await ask(s, b)).state, 'held', 'another tenant, another lock');
      assert.deepEqual((await s.listLocks({ tenant: 'acme' })).map((l) => [l.tenant, l.holder.runId]), [['acme', a]]);
    });

    it('a run that ends (succeeded, failed, cancelled) gives up its locks and its places: the next waiter gets them', async () => {
      const [s1, s2] = [await open(), await open()];
      const [a, b, c, d] = [await newRun(s1), await newRun(s2), await newRun(s2), await newRun(s2)];
      await ask(s1, a);
      await ask(s2, b);
      await ask(s2, c);
      await ask(s2, d);
      await s1.updateRun(a, { status: 'failed', finishedAt: new Date().toISOString() });
      assert.equal((await ask(s2, b)).state, 'held');
      // c waits (the run is waiting) and is cancelled: it leaves the queue
      await s2.updateRun(c, { status: 'waiting', waitingOn: [{ kind: 'lock', key: 'lock@F/lock@0', node: 'F/lock@0', name: 'stock:A1' }] });
      await s1.requestCancel(c);
      await s2.updateRun(b, { status: 'succeeded', finishedAt: new Date().toISOString() });
      const [lock] = await s1.listLocks();
      assert.equal(lock.holder.runId, d, 'd got it after b ended; c, cancelled, was passed over');
      assert.deepEqual(lock.queue, []);
      assert.equal((await s1.getEvents(c)).filter((e) => e.type === 'lock.acquired').length, 0);
    });

    it('acquireLock of an unknown run says RUN_NOT_FOUND', async () => {
      const s = await open();
      await assert.rejects(ask(s, '01JZZZZZZZZZZZZZZZZZZZZZZZ'), (e: Error & { code?: string }) => e.code === 'RUN_NOT_FOUND');
    });
  });
}
