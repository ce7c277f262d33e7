/**
 * The run store conformance suite's cases of leases and fencing (issue 11): claims, expiry, renewal and release by
 * the database's clock; the stale holder's writes refused (`LEASE_LOST`); a second writer's steps never interleaved
 * (`EVENTS_CONFLICT`); signals from elsewhere placed before the holder's buffered events; one run's refusal never
 * failing another run's write. Registered by `runStoreConformance` (conformance.ts) inside its suite, so that
 * the SQLite and PostgreSQL suites both run them.
 */
import assert from 'node:assert/strict';
import { BatonError, type Lease } from '../../packages/runtime/src/index.js';
import { APPROVAL, assertGapless, eventually, EVENT_WAIT, rejectsWith, stepEvents, type ConformanceContext } from './conformance-support.js';

/** Registers the lease and fencing cases (call inside the suite's `describe`, with its context). */
export function leaseConformance(context: ConformanceContext): void {
  const { open, newRun } = context;

  it('leases: claimed by one owner at a time, taken over after expiry, renewed, released; the epoch grows at each claim', async () => {
    const [a, b] = [await open(), await open()];
    const id = await newRun(a);
    const first = await a.claimLease(id, 'worker-a', 60_000);
    assert.ok(first);
    assert.deepEqual({ ...first, expiresAt: undefined }, { runId: id, owner: 'worker-a', epoch: 1, expiresAt: undefined });
    assert.ok(Date.parse(first.expiresAt) > Date.now() + 30_000, 'expires ttl from now');
    assert.equal(await b.claimLease(id, 'worker-b', 60_000), undefined, 'held by another owner: refused');
    const again = await a.claimLease(id, 'worker-a', 60_000);
    assert.equal(again?.epoch, 2, "the owner's own claim renews it with a new epoch");
    const renewed = await a.renewLease(again!, 120_000);
    assert.equal(renewed.epoch, 2);
    assert.ok(Date.parse(renewed.expiresAt) > Date.parse(again!.expiresAt));
    await a.releaseLease(renewed);
    const taken = await b.claimLease(id, 'worker-b', 60_000);
    assert.equal(taken?.epoch, 3, 'a released lease is claimed at once');
    await rejectsWith(a.renewLease(renewed, 1000), 'LEASE_LOST');
    await a.releaseLease(renewed); // a lease already lost is ignored ...
    assert.equal(await a.claimLease(id, 'worker-a', 60_000), undefined, '... and does not free the run');
    const short = await b.claimLease(id, 'worker-b', 1);
    assert.equal(short?.epoch, 4);
    // b's lease (1 ms) expires: a takes over
    const takeover = await eventually(() => a.claimLease(id, 'worker-a', 60_000));
    assert.equal(takeover.epoch, 5);
    await rejectsWith(b.renewLease(short!, 1000), 'LEASE_LOST');
    await rejectsWith(a.claimLease('ZZZZZZZZZZ', 'worker-a', 1000), 'RUN_NOT_FOUND');
  });

  it('leaseOf tells who holds a run; a claim `from` a holder known to be gone takes its unexpired lease, and only that holder\'s', async () => {
    const [a, b] = [await open(), await open()];
    const id = await newRun(a);
    assert.equal(await b.leaseOf(id), undefined, 'nobody holds a new run');
    const held = (await a.claimLease(id, 'host/1/dead', 60_000)) as Lease;
    assert.deepEqual(await b.leaseOf(id), held);
    assert.equal(await b.claimLease(id, 'host/2/b', 60_000, 'host/3/other'), undefined, 'from another owner: still refused');
    const taken = await b.claimLease(id, 'host/2/b', 60_000, 'host/1/dead');
    assert.equal(taken?.epoch, held.epoch + 1, 'taken from the gone holder before its expiry');
    assert.equal((await a.leaseOf(id))?.owner, 'host/2/b');
    await rejectsWith(a.renewLease(held, 1000), 'LEASE_LOST');
    await b.releaseLease(taken!);
    assert.equal(await a.leaseOf(id), undefined, 'released');
    await rejectsWith(a.leaseOf('ZZZZZZZZZZ'), 'RUN_NOT_FOUND');
  });

  it('fencing: the stale holder of a taken-over lease writes nothing (LEASE_LOST); the new holder\'s log is intact, no duplicate or interleaved event', async () => {
    const [a, b] = [await open(), await open()];
    const id = await newRun(a);
    const leaseA = (await a.claimLease(id, 'worker-a', 1)) as Lease;
    a.append(id, { type: 'run.started', flow: 'F', inputs: {} } as never);
    for (const e of stepEvents(2, 'a')) a.append(id, e);
    await a.flush();
    // a pauses; its lease expires and b takes the run over, replaying the log
    const leaseB = await eventually(() => b.claimLease(id, 'worker-b', 60_000));
    assert.equal(leaseB.epoch, leaseA.epoch + 1);
    assert.equal((await b.getEvents(id)).length, 3);
    for (const e of stepEvents(2, 'b')) b.append(id, e);
    await b.flush();
    // a wakes up and carries on: refused, whatever it buffered is not written
    for (const e of stepEvents(3, 'stale')) a.append(id, e);
    await rejectsWith(a.flush(), 'LEASE_LOST', new RegExp(`the lease on run ${id} was taken over`));
    await a.flush(); // the lost run's events were dropped: nothing is left to write
    a.append(id, stepEvents(1, 'x')[0]);
    await rejectsWith(a.updateRun(id, { status: 'failed' }), 'LEASE_LOST', undefined);
    await rejectsWith(a.updateRun(id, { status: 'failed' }), 'LEASE_LOST', undefined); // fenced until it claims again or releases
    await rejectsWith(a.renewLease(leaseA, 60_000), 'LEASE_LOST');
    // b continues, undisturbed
    for (const e of stepEvents(1, 'c')) b.append(id, e);
    await b.updateRun(id, { status: 'succeeded' });
    const log = await a.getEvents(id);
    assertGapless(log);
    const nodes = log.map((e) => (e as { node?: string }).node ?? e.type);
    assert.deepEqual(nodes, ['run.started', 'a0', 'a1', 'b0', 'b1', 'c0']);
    assert.equal((await a.getRun(id)).status, 'succeeded');
  });

  it('fencing under contention: two workers claiming one run in turn (1 ms leases) and flushing at once leave a gap-free log whose epochs never go back, each flush all or nothing', async () => {
    const id = await newRun(await open());
    const committed = new Map<string, number>();
    const refused: string[] = [];
    const worker = async (name: string): Promise<void> => {
      const s = await open();
      for (let round = 0; round < 25; round++) {
        const lease = await s.claimLease(id, name, 1);
        if (!lease) continue;
        await s.getEvents(id); // replay: the log's end
        const tags = [0, 1, 2].map((i) => `${name}/${lease.epoch}/${round}/${i}`);
        for (const tag of tags) s.append(id, { type: 'step.started', node: tag, step: tag, agent: 'A', target: 'agent' });
        try {
          await s.flush();
          for (const tag of tags) committed.set(tag, lease.epoch);
        } catch (error) {
          assert.ok(error instanceof BatonError && (error.code === 'LEASE_LOST' || error.code === 'EVENTS_CONFLICT'), String(error));
          refused.push(...tags);
        }
      }
    };
    await Promise.all([worker('w1'), worker('w2')]);
    const log = await (await open()).getEvents(id);
    assertGapless(log);
    const tags = log.map((e) => (e as { node: string }).node);
    assert.equal(new Set(tags).size, tags.length, 'no event twice');
    assert.deepEqual([...tags].sort(), [...committed.keys()].sort(), 'exactly the events of the flushes that succeeded');
    for (const tag of refused) assert.ok(!tags.includes(tag), `${tag} was refused and is not stored`);
    const epochs = tags.map((tag) => Number(tag.split('/')[1]));
    assert.deepEqual(epochs, [...epochs].sort((x, y) => x - y), 'the epochs along the log never go back: no stale writer interleaved');
    for (let i = 0; i < tags.length; i += 3) {
      assert.deepEqual(tags.slice(i, i + 3).map((t) => t.split('/').slice(0, 3).join('/')), Array(3).fill(tags[i].split('/').slice(0, 3).join('/')), 'a flush is contiguous');
    }
  });

  it('signals from elsewhere during a lease go into the log; the holder\'s buffered events follow them, gap-free', async () => {
    const [holder, front] = [await open(), await open()];
    const id = await newRun(holder);
    await holder.claimLease(id, 'worker', 60_000);
    holder.append(id, { type: 'run.started', flow: 'F', inputs: {} } as never);
    await holder.updateRun(id, { waitingOn: [APPROVAL] });
    const mine = holder.append(id, stepEvents(1, 'p')[0]);
    assert.equal(mine.seq, 2);
    const decided = await front.recordDecision(id, 'sign', { decision: 'approved' });
    assert.equal(decided.seq, 2, 'the decision takes the next stored seq');
    assert.equal(await front.requestCancel(id), 'running');
    await holder.flush();
    assert.equal(mine.seq, 4, "the holder's event moved after the signals");
    const log = await front.getEvents(id);
    assertGapless(log);
    assert.deepEqual(log.map((e) => e.type), ['run.started', 'approval.decided', 'cancel.requested', 'step.started']);
    assert.equal(holder.append(id, stepEvents(1, 'q')[0]).seq, 5, 'later events follow on');
    await holder.flush();
    assertGapless(await front.getEvents(id));
    // the front door's next signal goes at the log's end, however far the holder went since its last one
    for (const e of stepEvents(3, 'r')) holder.append(id, e);
    await holder.flush();
    const again = await front.recordDecision(id, 'sign', { decision: 'rejected' });
    assert.equal(again.seq, 9);
    assert.equal(await front.requestCancel(id), 'running');
    const final = await holder.getEvents(id);
    assertGapless(final);
    assert.deepEqual(final.slice(-2).map((e) => e.type), ['approval.decided', 'cancel.requested']);
  });

  it('a second writer\'s steps are never interleaved into a log: its flush fails with EVENTS_CONFLICT and writes nothing', async () => {
    const [a, b] = [await open(), await open()];
    const id = await newRun(a);
    await a.flush();
    await b.getEvents(id);
    for (const e of stepEvents(2, 'a')) a.append(id, e);
    for (const e of stepEvents(2, 'b')) b.append(id, e);
    await a.flush();
    await rejectsWith(b.flush(), 'EVENTS_CONFLICT', new RegExp(`another writer appended "step.started" to run ${id}`));
    const log = await a.getEvents(id);
    assert.deepEqual(log.map((e) => (e as { node: string }).node), ['a0', 'a1']);
    await b.flush(); // dropped: nothing left
    assert.deepEqual(await b.getEvents(id), log);
    // having read the log again, b appends after it
    assert.equal(b.append(id, stepEvents(1, 'b')[0]).seq, 3);
    await b.flush();
    assertGapless(await a.getEvents(id));
  });

  it('one run\'s refused events never fail another run\'s write on the same handle; the refused run\'s own writes report it until the handle reads its log again', async () => {
    const [h, other] = [await open(), await open()];
    const waiting = await newRun(h);
    await h.updateRun(waiting, { status: 'waiting', waitingOn: [APPROVAL, EVENT_WAIT] });
    const mine = await newRun(h);
    // run B: h buffers steps of it while a second executor stores its own first (EVENTS_CONFLICT for h's)
    const b = await newRun(h);
    await other.getEvents(b);
    other.append(b, stepEvents(1, 'theirs')[0]);
    await other.flush();
    /** Buffers a step of B on h that the store refuses (its seq is taken by the other executor's step). */
    const conflicting = (): void => void h.append(b, stepEvents(1, 'stale')[0]);
    const nodesOf = async (id: string) => (await other.getEvents(id)).map((e) => (e.type === 'step.started' ? e.node : e.type));

    conflicting();
    assert.equal((await h.recordDecision(waiting, 'sign', { decision: 'approved' })).type, 'approval.decided', 'a decision on another run is stored');
    conflicting();
    assert.equal((await h.recordSignal(waiting, 'paid', { ok: true })).type, 'event.received', 'so is an event delivered to it');
    conflicting();
    h.append(mine, stepEvents(1, 'm')[0]);
    await h.flush(mine); // another run's flush
    conflicting();
    h.append(mine, stepEvents(1, 'n')[0]);
    await h.updateRun(mine, { status: 'succeeded', finishedAt: new Date().toISOString() }); // its state update
    conflicting();
    const started = await newRun(h, { started: { type: 'run.started', flow: 'F', inputs: {} } as never }); // a start
    conflicting();
    assert.equal(await h.requestCancel(waiting), 'cancelled', 'a cancellation of another run');

    assert.deepEqual(await nodesOf(waiting), ['approval.decided', 'event.received', 'cancel.requested', 'run.cancelled']);
    assert.deepEqual(await nodesOf(mine), ['m0', 'n0']);
    assert.equal((await other.getRun(mine)).status, 'succeeded');
    assert.deepEqual(await nodesOf(started), ['run.started']);
    assert.deepEqual(await nodesOf(b), ['theirs0'], 'none of h\'s steps of B was written');

    // B's own writes are told, though its events were dropped by other runs' writes: its flush and its state update
    await rejectsWith(h.flush(b), 'EVENTS_CONFLICT', new RegExp(`another writer appended "step.started" to run ${b}`));
    await rejectsWith(h.updateRun(b, { status: 'failed' }), 'EVENTS_CONFLICT');
    assert.equal((await other.getRun(b)).status, 'running', 'the refused run\'s state was not changed');
    // a flush of every run is told of the refusals it met, and writes the rest
    conflicting();
    h.append(mine, stepEvents(1, 'o')[0]);
    await rejectsWith(h.flush(), 'EVENTS_CONFLICT');
    assert.deepEqual(await nodesOf(mine), ['m0', 'n0', 'o0'], 'the other run\'s event was written by the refused flush');
    // having read B's log again, h appends after it
    await h.getEvents(b);
    h.append(b, stepEvents(1, 'after')[0]);
    await h.flush(b);
    assert.deepEqual(await nodesOf(b), ['theirs0', 'after0']);

    // a lost lease likewise: only the lost run's writes fail
    const leased = await newRun(h);
    assert.ok(await h.claimLease(leased, 'h', 1));
    await eventually(() => other.claimLease(leased, 'other', 60_000));
    h.append(leased, stepEvents(1, 'lost')[0]);
    h.append(mine, stepEvents(1, 'p')[0]);
    await h.flush(mine);
    await rejectsWith(h.flush(leased), 'LEASE_LOST');
    assert.deepEqual(await nodesOf(mine), ['m0', 'n0', 'o0', 'p0']);
    assert.deepEqual(await nodesOf(leased), []);
  });
}
