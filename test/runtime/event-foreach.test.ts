import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { type BatonError, resumeRun } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, tick, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

/**
 * The prompts the agents were called with, sorted: instances admitted together run concurrently, so on a store with
 * asynchronous I/O (PostgreSQL) their calls interleave in any order — the admissions' order is checked on the log.
 */
function calledPrompts(agents: { calls: { prompt?: string }[] }): (string | undefined)[] {
  return agents.calls.map((c) => c.prompt).sort();
}

/*
 * `foreach x in event "…"`: multiple instances created at run time from events (WCP-15), with a dynamic partial
 * join (`until`, WCP-36) — on both stores: every event sent to the run is kept in its log and admitted in order, one
 * instance each (admission recorded before the instance starts), the arrivals end at the timeout or the join.
 */

const LINES = `
event "line.added" {
  data: { order_id: string, sku: string, last: boolean }
}
agent Picker { instructions: "Pick the line." stub: "picked" }
flow Order {
  input order_id: string
  output lines: number
  foreach line in event "line.added" where order_id == input.order_id timeout 1d until line.data.last {
    step pick: Picker { prompt: "Pick \${line.data.sku}" }
    approval ok { prompt: "Packed \${line.data.sku}?" }
  }
  set output.lines = len(pick)
}`;

const HOUR = 3_600_000;

/** LINES whose arrivals end with a terminating event instead of the last line's data. */
const CLOSED = LINES.replace('"line.added" {', '"order.closed" { data: { order_id: string } }\nevent "line.added" {').replace(' timeout 1d until line.data.last', ' until event "order.closed" where order_id == input.order_id');

/** The `event.received` events of the loop in `log`: `key:sku` (or `key:timeout`), in log order. */
function admissions(log: RunEvent[]): string[] {
  return log.flatMap((e) => (e.type === 'event.received' ? [`${e.key?.replace(/^.*#/, '#')}:${e.timedOut ? 'timeout' : (e.data as { sku: string }).sku}`] : []));
}

for (const kind of STORE_KINDS) {
  describe(`runtime: foreach … in event — instances from events (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('events sent one after the other while the run waits each start their own instance, in arrival order; the loop waits for the next', async () => {
      const def = await compile(LINES);
      const agents = scriptedAgents(() => 'picked');
      const first = await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents });
      assert.equal(first.summary.status, 'waiting');
      const [open] = (await t.store.getRun(first.summary.runId)).waitingOn;
      assert.ok(open.kind === 'event' && open.stream && open.key.endsWith('#0') && open.where?.value === 'A1', JSON.stringify(open));
      for (const sku of ['a', 'b']) assert.equal((await t.store.recordSignal(first.summary.runId, 'line.added', { order_id: 'A1', sku, last: false })).type, 'event.buffered');
      await assert.rejects(t.store.recordSignal(first.summary.runId, 'line.added', { order_id: 'B7', sku: 'x', last: false }), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED' && /belongs to another run/.test(e.message));
      await assert.rejects(t.store.recordSignal(first.summary.runId, 'line.added', { order_id: 'A1', sku: 3, last: false }), (e: BatonError) => e.code === 'EVENT_DATA_INVALID' && /data\.sku/.test(e.message));
      const second = await resumeRun(first.summary.runId, { store: t.store, agents });
      assert.equal(second.status, 'waiting');
      const waits = (await t.store.getRun(first.summary.runId)).waitingOn.map((w) => (w.kind === 'approval' ? w.task : w.kind === 'event' ? w.key.replace(/^.*#/, '#') : w.kind));
      assert.deepEqual(waits.sort(), ['#2', 'ok[0]', 'ok[1]'], 'both instances wait beside each other, and the loop for its third event');
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b']);
      assert.deepEqual(admissions(await t.store.getEvents(first.summary.runId)), ['#0:a', '#1:b']);
    });

    it('until: an instance added while an earlier one waits is joined; the one whose condition holds ends the loop and the running rest is withdrawn', async () => {
      const def = await compile(LINES);
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      await resumeRun(id, { store: t.store, agents });
      // a second and a last line come while the first waits for its approval
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'b', last: false });
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'c', last: true });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      await t.store.recordDecision(id, 'ok[2]', { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 3 }]);
      const log = await t.store.getEvents(id);
      const join = log.find((e) => e.type === 'join.reached');
      assert.ok(join?.type === 'join.reached' && join.label === 'until line.data.last', JSON.stringify(join));
      assert.deepEqual([join.counted, join.withdrawn], [[2], [0, 1]]);
      assert.deepEqual(admissions(log), ['#0:a', '#1:b', '#2:c']);
      await assert.rejects(t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'd', last: false }), (e: BatonError) => e.code === 'RUN_FINISHED');
      // every step once, across the four executions
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b', 'Pick c']);
    });

    it('a resumed run reads the join back: the instances it withdrew stay withdrawn (their approvals are not asked again), nothing is taken after it', async () => {
      const def = await compile(LINES.replace('  set output.lines = len(pick)', '  approval ship { prompt: "Ship?" }\n  set output.lines = len(pick)'));
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'b', last: true });
      await resumeRun(id, { store: t.store, agents });
      await t.store.recordDecision(id, 'ok[1]', { decision: 'approved' });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      assert.deepEqual((await t.store.getRun(id)).waitingOn.map((w) => (w.kind === 'approval' ? w.task : w.kind)), ['ship'], 'ok[0] was withdrawn with its instance');
      // a later line is kept (the store cannot tell) but the loop, replayed, takes nothing after its join
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'c', last: false });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      await t.store.recordDecision(id, 'ship', { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 2 }]);
      const log = await t.store.getEvents(id);
      assert.equal(log.filter((e) => e.type === 'join.reached').length, 1, 'the join is decided once');
      assert.equal(log.filter((e) => e.type === 'approval.requested' && e.task === 'ok[0]').length, 1);
      assert.deepEqual(admissions(log), ['#0:a', '#1:b']);
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b']);
    });

    it('until … keep: the flow goes on after the join while the running instances finish; the run ends after them', async () => {
      const def = await compile(LINES.replace('until line.data.last {', 'until line.data.last keep {').replace('  set output.lines = len(pick)', '  step after: Picker { prompt: "after" }\n  set output.lines = len(pick)'));
      const agents = scriptedAgents((request) => request.prompt);
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'b', last: true });
      await resumeRun(id, { store: t.store, agents });
      await t.store.recordDecision(id, 'ok[1]', { decision: 'approved' });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      assert.deepEqual((await t.store.getRun(id)).waitingOn.map((w) => (w.kind === 'approval' ? w.task : w.kind)), ['ok[0]'], 'the kept instance still waits');
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b', 'after'], 'the flow went on after the join');
      await t.store.recordDecision(id, 'ok[0]', { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 2 }]);
      const join = (await t.store.getEvents(id)).find((e) => e.type === 'join.reached');
      assert.ok(join?.type === 'join.reached' && join.rest === 'keep' && join.withdrawn.length === 0);
    });

    it('an event sent while an instance is in the middle of an agent call starts its own instance beside it, in the same execution', async () => {
      const def = await compile(LINES.replace('    approval ok { prompt: "Packed ${line.data.sku}?" }\n', ''));
      const started: { id?: string } = {};
      const agents = scriptedAgents(async (request) => {
        if (request.prompt !== 'Pick a') return 'picked';
        // the second line is sent while this call runs (the run is running, not waiting: the store keeps it)
        await t.store.recordSignal(started.id!, 'line.added', { order_id: 'A1', sku: 'b', last: true });
        const until = Date.now() + 5000;
        while (!agents.calls.some((c) => c.prompt === 'Pick b') && Date.now() < until) await tick(20);
        return 'picked';
      });
      const id = (started.id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId);
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 2 }]);
      assert.equal(agents.maxInFlight, 2, 'the second instance\'s call started while the first one\'s ran');
      assert.deepEqual(admissions(await t.store.getEvents(id)), ['#0:a', '#1:b']);
    });

    it('first 2 where …: an instance counts when it ended and its where holds; the second to count ends the loop, one still running is withdrawn', async () => {
      const def = await compile(LINES.replace(' timeout 1d until line.data.last', ' first 2 where line.data.sku != "x"'));
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      for (const sku of ['x', 'a', 'b']) await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku, last: false });
      await resumeRun(id, { store: t.store, agents });
      // x ends first but does not count (its where is false), a counts; c, sent later, counts while b still waits
      for (const task of ['ok[0]', 'ok[1]']) await t.store.recordDecision(id, task, { decision: 'approved' });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'c', last: false });
      await resumeRun(id, { store: t.store, agents });
      await t.store.recordDecision(id, 'ok[3]', { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 4 }]);
      const join = (await t.store.getEvents(id)).find((e) => e.type === 'join.reached');
      assert.ok(join?.type === 'join.reached' && join.label === 'first 2 where line.data.sku != "x"', JSON.stringify(join));
      assert.deepEqual([join.counted, join.withdrawn], [[1, 3], [2]]);
    });

    it('the timeout ends the arrivals: an event kept before it is admitted (even when taken after it), one sent after it starts no instance; the loop then waits for its instances', async () => {
      const def = await compile(LINES.replace(' until line.data.last', ''));
      let clock = Date.now(); // the store stamps kept events with the wall clock
      const now = (): Date => new Date(clock);
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents, now })).summary.runId;
      // kept before the loop's deadline (1d), though taken after it
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'a', last: false });
      clock += 25 * HOUR;
      assert.equal((await resumeRun(id, { store: t.store, agents, now })).status, 'waiting');
      const waits = (await t.store.getRun(id)).waitingOn;
      assert.deepEqual(waits.map((w) => w.kind), ['approval'], 'the arrivals ended: only the instance waits');
      // the store cannot tell a closed loop from one still to come: it keeps the late event, which no instance takes
      assert.equal((await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'late', last: false })).type, 'event.buffered');
      await t.store.recordDecision(id, 'ok[0]', { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents, now });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 1 }]);
      assert.deepEqual(admissions(await t.store.getEvents(id)), ['#0:a', '#1:timeout']);
    });

    it('until event: the terminating event ends the arrivals — lines kept before it still start instances, one kept after it none; the running instances finish', async () => {
      const def = await compile(CLOSED);
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      const keys = (await t.store.getRun(id)).waitingOn.map((w) => (w.kind === 'event' ? `${w.key.replace(/^.*#/, '#')}:${w.event}:${w.stream ?? false}` : w.kind));
      assert.deepEqual(keys, ['#0:line.added:true', '#end:order.closed:false']);
      for (const sku of ['a', 'b']) await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku, last: false });
      await assert.rejects(t.store.recordSignal(id, 'order.closed', { order_id: 'B7' }), (e: BatonError) => e.code === 'EVENT_NOT_AWAITED');
      assert.equal((await t.store.recordSignal(id, 'order.closed', { order_id: 'A1' })).type, 'event.received');
      // sent after the order was closed, before the run went on: kept, but too late for the loop
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'late', last: false });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      assert.deepEqual((await t.store.getRun(id)).waitingOn.map((w) => (w.kind === 'approval' ? w.task : w.kind)).sort(), ['ok[0]', 'ok[1]'], 'the arrivals ended; both instances still run');
      for (const task of ['ok[0]', 'ok[1]']) await t.store.recordDecision(id, task, { decision: 'approved' });
      const done = await resumeRun(id, { store: t.store, agents });
      assert.deepEqual([done.status, done.outputs], ['succeeded', { lines: 2 }]);
      assert.deepEqual(admissions(await t.store.getEvents(id)).filter((a) => a !== '#end:undefined'), ['#0:a', '#1:b']);
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b']);
    });

    it('until event: once the terminating event came, the run no longer waits for it — a second one starts nothing and does not move the end (lines kept before the first still start their instances)', async () => {
      const def = await compile(CLOSED.replace('where order_id == input.order_id {', 'where order_id == input.order_id concurrency 1 {'));
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      for (const sku of ['a', 'b']) await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku, last: false });
      assert.equal((await t.store.recordSignal(id, 'order.closed', { order_id: 'A1' })).type, 'event.received');
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      const waits = (await t.store.getRun(id)).waitingOn.map((w) => (w.kind === 'approval' ? w.task : w.kind === 'event' ? w.key.replace(/^.*#/, '#') : w.kind));
      assert.ok(!waits.includes('#end'), `the terminating event came: not awaited again (${waits.join(', ')})`);
      // a second close and a line after it: neither is a terminating event nor an instance
      await t.store.recordSignal(id, 'order.closed', { order_id: 'A1' }).catch((e: BatonError) => assert.equal(e.code, 'EVENT_NOT_AWAITED'));
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'late', last: false });
      for (let i = 0; i < 2; i++) {
        await t.store.recordDecision(id, `ok[${i}]`, { decision: 'approved' });
        await resumeRun(id, { store: t.store, agents });
      }
      const run2 = await t.store.getRun(id);
      assert.deepEqual([run2.status, run2.outputs], ['succeeded', { lines: 2 }]);
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b']);
      assert.equal((await t.store.getEvents(id)).filter((e) => e.type === 'event.received' && e.key?.endsWith('#end')).length, 1, 'one terminating event taken');
    });

    it('events kept before the loop opens start instances as soon as it opens (persistent trigger), oldest first', async () => {
      const def = await compile(`${LINES.replace('  foreach', '  approval start { prompt: "Start?" }\n  foreach')}`);
      const agents = scriptedAgents(() => 'picked');
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      for (const sku of ['a', 'b']) assert.equal((await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku, last: false })).type, 'event.buffered');
      await t.store.recordDecision(id, 'start', { decision: 'approved' });
      await resumeRun(id, { store: t.store, agents });
      assert.deepEqual(admissions(await t.store.getEvents(id)), ['#0:a', '#1:b']);
    });

    it('without a join, a failing instance fails the loop; a resumed run admits the same instances and calls no finished step again', async () => {
      const def = await compile(LINES.replace(' until line.data.last', '').replace('    approval ok { prompt: "Packed ${line.data.sku}?" }\n', ''));
      const agents = scriptedAgents((request) => {
        if (request.prompt === 'Pick bad') throw new Error('shelf empty');
        return 'picked';
      });
      const id = (await run(def, 'Order', { order_id: 'A1' }, { store: t.store, agents })).summary.runId;
      for (const sku of ['a', 'b']) await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku, last: false });
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      // resumed again with nothing new: the same two instances replay, nothing is called
      assert.equal((await resumeRun(id, { store: t.store, agents })).status, 'waiting');
      assert.deepEqual(calledPrompts(agents), ['Pick a', 'Pick b']);
      await t.store.recordSignal(id, 'line.added', { order_id: 'A1', sku: 'bad', last: false });
      const failed = await resumeRun(id, { store: t.store, agents });
      assert.equal(failed.status, 'failed');
      assert.match(failed.error?.message ?? '', /shelf empty/);
      assert.deepEqual(admissions(await t.store.getEvents(id)), ['#0:a', '#1:b', '#2:bad']);
    });
  });
}
