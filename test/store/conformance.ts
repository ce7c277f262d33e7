/**
 * The run store conformance suite (issue 11): one set of behaviours every {@link RunStoreApi} implementation
 * passes with identical results — the embedded SQLite store (sqlite-conformance.test.ts) and the PostgreSQL store
 * (pg-conformance.test.ts). Each test gets a fresh, empty store from the factory and may open several handles on
 * it (as several processes or machines would).
 */
import assert from 'node:assert/strict';
import type { RunEvent, WorkflowDefinition } from '@baton/protocol';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { leaseConformance } from './conformance-leases.js';
import { lockConformance } from './conformance-locks.js';
import { choiceConformance } from './conformance-choice.js';
import { APPROVAL, assertGapless, DEFINITION, EVENT_WAIT, OTHER_DEFINITION, RANGE, rejectsWith, stepEvents, type ConformanceContext, type StoreFactory } from './conformance-support.js';
import { watchConformance } from './conformance-watch.js';
import { storeFixture } from './conformance-fixture.js';

/** Registers the conformance suite for the stores `factory` makes. */
export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`run store conformance: ${name}`, function () {
    this.timeout(30_000);
    const fixture = storeFixture(factory);
    /** A handle closed after the test. */
    const open = fixture.open;
    const newRun = (s: RunStoreApi, extra: Partial<Parameters<RunStoreApi['createRun']>[0]> = {}) =>
      s.createRun({ flow: 'F', file: 'f.flow', inputs: { n: 1 }, definition: DEFINITION, startedAt: new Date().toISOString(), ...extra }).then((r) => r.id);
    const context: ConformanceContext = { open, newRun };

    it('creates runs and reads them back by id, by prefix (any case), and says RUN_NOT_FOUND / RUN_ID_AMBIGUOUS', async () => {
      const s = await open();
      const startedAt = '2026-12-04T10:00:00.123Z';
      const { id, duplicate } = await s.createRun({ flow: 'F', file: 'f.flow', inputs: { n: 1, s: 'x' }, definition: DEFINITION, startedAt, agents: { mode: 'stub' } as never });
      assert.equal(duplicate, false);
      assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'a ULID');
      const run = await s.getRun(id);
      assert.deepEqual(run, {
        id,
        flow: 'F',
        file: 'f.flow',
        status: 'running',
        startedAt,
        finishedAt: null,
        inputs: { n: 1, s: 'x' },
        outputs: {},
        error: null,
        waitingOn: [],
        cancelRequested: false,
        tenant: 'default',
        agents: { mode: 'stub' },
      });
      assert.deepEqual(await s.findRun(id.slice(0, 20)), run);
      assert.deepEqual(await s.findRun(id.slice(0, 20).toLowerCase()), run, 'a lower-case prefix finds the run');
      assert.equal(await s.findRun('ZZZZZZZZZZ'), undefined);
      await rejectsWith(s.getRun('ZZZZZZZZZZ'), 'RUN_NOT_FOUND', /no run with id "ZZZZZZZZZZ"/);
      const second = await newRun(s);
      let common = 0;
      while (id[common] === second[common]) common++;
      assert.ok(common >= 4, 'two runs started together share their time prefix');
      await rejectsWith(s.findRun(id.slice(0, common)), 'RUN_ID_AMBIGUOUS', new RegExp(`run id prefix "${id.slice(0, common)}" matches several runs; give more characters`));
      assert.deepEqual(await s.getDefinition(id), DEFINITION);
      await rejectsWith(s.getDefinition('ZZZZZZZZZZ'), 'RUN_NOT_FOUND');
      // another handle (another process) sees the same
      const other = await open();
      assert.deepEqual(await other.getRun(id), run);
    });

    it('lists runs newest first, filtered by status, flow and tenant, up to the limit (50 by default)', async () => {
      const s = await open();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(await newRun(s, { flow: i % 2 ? 'Odd' : 'Even', tenant: i < 4 ? 'acme' : 'globex', status: i === 5 ? 'queued' : 'running' }));
      }
      await s.updateRun(ids[0], { status: 'succeeded', finishedAt: new Date().toISOString() });
      const all = await s.listRuns();
      assert.deepEqual(all.map((r) => r.id), [...ids].reverse());
      assert.deepEqual((await s.listRuns({ limit: 2 })).map((r) => r.id), [ids[5], ids[4]]);
      assert.deepEqual((await s.listRuns({ flow: 'Odd' })).map((r) => r.id), [ids[5], ids[3], ids[1]]);
      assert.deepEqual((await s.listRuns({ status: 'succeeded' })).map((r) => r.id), [ids[0]]);
      assert.deepEqual((await s.listRuns({ status: 'queued' })).map((r) => r.id), [ids[5]]);
      assert.deepEqual((await s.listRuns({ tenant: 'globex' })).map((r) => r.id), [ids[5], ids[4]]);
      assert.deepEqual((await s.listRuns({ tenant: 'acme', flow: 'Even', status: 'running' })).map((r) => r.id), [ids[2]]);
      assert.deepEqual(all.map((r) => r.tenant), ['globex', 'globex', 'acme', 'acme', 'acme', 'acme']);
      for (let i = 0; i < 50; i++) await newRun(s);
      assert.equal((await s.listRuns()).length, 50);
    });

    it('buffers appended events until flush, numbers them 1, 2, 3… per run, and reads them back exactly', async () => {
      const s = await open();
      const other = await open();
      const a = await newRun(s);
      const b = await newRun(s);
      const time = new Date('2026-12-04T10:00:00.5Z');
      const first = s.append(a, { type: 'run.started', flow: 'F', inputs: { text: 'zero \u0000 byte, ünïcödé, "quotes"' } } as never, time);
      assert.deepEqual(first, { type: 'run.started', flow: 'F', inputs: { text: 'zero \u0000 byte, ünïcödé, "quotes"' }, runId: a, seq: 1, time: time.toISOString() });
      const appended = [first, ...stepEvents(3, 'a').map((e) => s.append(a, e))];
      const onB = s.append(b, stepEvents(1, 'b')[0]);
      assert.equal(onB.seq, 1, 'each run has its own sequence');
      assert.deepEqual(await s.getEvents(a), appended, 'buffered events are included');
      assert.deepEqual(await other.getEvents(a), [], 'nothing is stored before the flush');
      await s.flush();
      assert.deepEqual(await other.getEvents(a), JSON.parse(JSON.stringify(appended)));
      assert.deepEqual(await other.getEvents(b), [onB]);
      // the other handle continues the log where it is
      const next = other.append(a, { type: 'cancel.requested', by: 'other' });
      assert.equal(next.seq, 5);
      await other.flush();
      const log = await s.getEvents(a);
      assertGapless(log);
      assert.equal(log.length, 5);
      await s.flush(); // nothing buffered: nothing happens
      assert.equal((await other.getEvents(a)).length, 5);
    });

    it('updates run state, writing buffered events in the same call', async () => {
      const s = await open();
      const other = await open();
      const id = await newRun(s);
      await s.getEvents(id);
      s.append(id, { type: 'run.started', flow: 'F', inputs: {} } as never);
      const finishedAt = '2026-12-04T11:00:00.000Z';
      await s.updateRun(id, { status: 'failed', finishedAt, outputs: { o: [1, 'two', null] }, error: { code: 'X', message: 'boom' }, waitingOn: [APPROVAL], agents: { mode: 'real' } as never });
      assert.equal((await other.getEvents(id)).length, 1, 'the buffered event was written with the update');
      const run = await other.getRun(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.finishedAt, finishedAt);
      assert.deepEqual(run.outputs, { o: [1, 'two', null] });
      assert.deepEqual(run.error, { code: 'X', message: 'boom' });
      assert.deepEqual(run.waitingOn, [APPROVAL]);
      assert.deepEqual(run.agents, { mode: 'real' });
      await s.updateRun(id, { error: null, finishedAt: null });
      const cleared = await other.getRun(id);
      assert.equal(cleared.error, null);
      assert.equal(cleared.finishedAt, null);
      assert.equal(cleared.status, 'failed', 'fields not given are kept');
    });

    it('stores each definition once, however many runs use it', async () => {
      const s = await open();
      const other = await open();
      for (let i = 0; i < 3; i++) await newRun(s);
      for (let i = 0; i < 2; i++) await newRun(other);
      const odd = await newRun(other, { definition: OTHER_DEFINITION });
      assert.equal(await fixture.store().definitionCount(), 2);
      assert.deepEqual(await s.getDefinition(odd), OTHER_DEFINITION);
    });

    it('records a decision on a waiting approval, and refuses unknown tasks, invalid decisions, finished and missing runs', async () => {
      const s = await open();
      const other = await open();
      const id = await newRun(s);
      await s.getEvents(id);
      s.append(id, { type: 'run.started', flow: 'F', inputs: {} } as never);
      await s.updateRun(id, { status: 'waiting', waitingOn: [APPROVAL] });
      await rejectsWith(other.recordDecision(id, 'nope', { decision: 'approved' }), 'TASK_NOT_WAITING', new RegExp(`^run ${id} has no approval "nope" waiting; waiting: sign$`));
      await rejectsWith(other.recordDecision(id, 'sign', { decision: 'maybe' }), 'DECISION_INVALID', /^"maybe" is not a decision of approval "sign"; use one of approved, rejected, escalate$/);
      const decided = await other.recordDecision(id.slice(0, 22), 'sign', { decision: 'escalate', by: 'ann', comment: 'too big' });
      assert.deepEqual(
        { ...decided, time: undefined },
        { type: 'approval.decided', task: 'sign', node: 'n1', decision: 'escalate', by: 'ann', comment: 'too big', runId: id, seq: 2, time: undefined },
      );
      assert.deepEqual((await s.getEvents(id)).at(-1), JSON.parse(JSON.stringify(decided)));
      await s.updateRun(id, { status: 'running', waitingOn: [] });
      await rejectsWith(other.recordDecision(id, 'sign', { decision: 'approved' }), 'TASK_NOT_WAITING', new RegExp(`^run ${id} has no approval "sign" waiting \\(the run is running\\)$`));
      await s.updateRun(id, { status: 'succeeded' });
      await rejectsWith(other.recordDecision(id, 'sign', { decision: 'approved' }), 'RUN_FINISHED', new RegExp(`^run ${id} has already succeeded$`));
      await rejectsWith(other.recordDecision('ZZZZZZZZZZ', 'sign', { decision: 'approved' }), 'RUN_NOT_FOUND');
    });

    it('delivers an awaited event, and refuses one the run does not wait for', async () => {
      const s = await open();
      const other = await open();
      const id = await newRun(s);
      await s.updateRun(id, { status: 'waiting', waitingOn: [EVENT_WAIT] });
      await rejectsWith(other.recordSignal(id, 'shipped', {}), 'EVENT_NOT_AWAITED', new RegExp(`^run ${id} is not waiting for event "shipped"; it waits for paid$`));
      const received = await other.recordSignal(id, 'paid', { amount: 12.5, items: ['a'] });
      assert.equal(received.type, 'event.received');
      assert.deepEqual({ ...received, time: undefined }, { type: 'event.received', event: 'paid', data: { amount: 12.5, items: ['a'] }, key: 'k1', node: 'n2', runId: id, seq: 1, time: undefined });
      assert.deepEqual(await s.getEvents(id), [JSON.parse(JSON.stringify(received))]);
      await s.updateRun(id, { status: 'cancelled' });
      await rejectsWith(other.recordSignal(id, 'paid', {}), 'RUN_FINISHED', /has already been cancelled$/);
    });

    it('checks event data against the wait\'s type and its correlation; keeps an event the run will wait for (bounded), refuses a transient one', async () => {
      const s = await open();
      const other = await open();
      const typed: WorkflowDefinition = {
        version: 1,
        files: [],
        agents: {},
        tests: [],
        flows: { F: { name: 'F', inputs: [], outputs: [], triggers: [], range: RANGE, body: [{ kind: 'waitEvent', id: 'F/p', name: 'p', event: 'paid', range: RANGE }, { kind: 'waitEvent', id: 'F/d', event: 'door', range: RANGE }] } },
        events: {
          paid: { name: 'paid', data: { kind: 'record', fields: [{ name: 'order', type: { kind: 'string' }, optional: false }, { name: 'amount', type: { kind: 'number' }, optional: false }] }, buffer: { ms: 3_600_000, max: 1 }, range: RANGE },
          door: { name: 'door', buffer: { transient: true }, range: RANGE },
        },
      };
      const id = await newRun(s, { definition: typed });
      const paidType = typed.events!.paid.data!;
      await s.updateRun(id, { status: 'waiting', waitingOn: [{ kind: 'event', event: 'paid', key: 'p', node: 'F/p', name: 'p', where: { path: ['order'], value: 'A1' }, data: paidType }] });
      await rejectsWith(other.recordSignal(id, 'paid', { order: 'A1', amount: '3' }), 'EVENT_DATA_INVALID', /^event "paid": data\.amount: got "3" \(its data is \{ order: string, amount: number \}\)$/);
      await rejectsWith(other.recordSignal(id, 'paid', { order: 'B2', amount: 3 }), 'EVENT_NOT_AWAITED', /where order == "A1", but this event's order is "B2": it belongs to another run$/);
      assert.deepEqual(await s.getEvents(id), [], 'a refused event stores nothing');
      // not waiting for it now, but the definition waits for it later: kept, until the bound
      await s.updateRun(id, { status: 'running', waitingOn: [] });
      const kept = await other.recordSignal(id, 'paid', { order: 'A1', amount: 3 });
      assert.equal(kept.type, 'event.buffered');
      // kept for the declared hour from when it was sent (the store's clock stamps `time` a moment later)
      assert.ok(kept.type === 'event.buffered' && kept.id.length > 0 && Math.abs(Date.parse(kept.expires) - Date.parse(kept.time) - 3_600_000) < 5_000);
      await rejectsWith(other.recordSignal(id, 'paid', { order: 'A1', amount: 4 }), 'EVENT_BUFFER_FULL', /already keeps 1 event "paid" it has not waited for yet \(at most 1\); nothing was kept$/);
      await rejectsWith(other.recordSignal(id, 'paid', { order: 'A1', amount: 'x' }), 'EVENT_DATA_INVALID', /data\.amount: got "x"/);
      await rejectsWith(other.recordSignal(id, 'door', {}), 'EVENT_NOT_AWAITED', /^run \S+ is not waiting for event "door" \(event "door" says `buffer: none`: it is not kept\)$/);
      await rejectsWith(other.recordSignal(id, 'never', {}), 'EVENT_NOT_AWAITED', /is not waiting for event "never"$/);
      assert.deepEqual((await s.getEvents(id)).map((e) => e.type), ['event.buffered']);
    });

    it('an event loop\'s open arrivals (a stream wait) keep each matching event sent, one after the other, as its own; keptEventsSince reads them after a seq, and the reading handle\'s next write still follows the log', async () => {
      const s = await open();
      const other = await open();
      const loop: WorkflowDefinition = {
        version: 1,
        files: [],
        agents: {},
        tests: [],
        flows: { F: { name: 'F', inputs: [], outputs: [], triggers: [], range: RANGE, body: [{ kind: 'foreach', id: 'F/foreach@0', variable: 'l', source: { event: 'line' }, body: [], range: RANGE }] } },
      };
      const id = await newRun(s, { definition: loop });
      await s.updateRun(id, { status: 'waiting', waitingOn: [{ kind: 'event', event: 'line', key: 'foreach@F/foreach@0#0', node: 'F/foreach@0', where: { path: ['order'], value: 'A1' }, stream: true }] });
      const sent = [];
      for (const sku of ['a', 'b']) sent.push(await other.recordSignal(id, 'line', { order: 'A1', sku }));
      assert.deepEqual(sent.map((e) => e.type), ['event.buffered', 'event.buffered'], 'never delivered to the one key');
      await rejectsWith(other.recordSignal(id, 'line', { order: 'B2', sku: 'c' }), 'EVENT_NOT_AWAITED', /it belongs to another run$/);
      assert.deepEqual((await s.keptEventsSince!(id, 0)).map((e) => [e.seq, (e.data as { sku: string }).sku]), [[1, 'a'], [2, 'b']]);
      assert.deepEqual((await s.keptEventsSince!(id, 1)).map((e) => e.id), [sent[1].type === 'event.buffered' ? sent[1].id : '']);
      // the reading handle still appends after the log's end, as before it read
      s.append(id, stepEvents(1, 'z')[0]);
      await s.flush();
      assertGapless(await other.getEvents(id));
    });

    it('keeps broadcasts for later waits (bounded per tenant and event), each taken by one wait, matching its correlation, the same again for that wait', async () => {
      const s = await open();
      const other = await open();
      const keep = { ms: 3_600_000, max: 2 };
      const a1 = await s.keepBroadcast!('paid', { order: 'A1', amount: 1 }, keep);
      await other.keepBroadcast!('paid', { order: 'B2', amount: 2 }, keep);
      await rejectsWith(s.keepBroadcast!('paid', { order: 'C3', amount: 3 }, keep), 'EVENT_BUFFER_FULL', /^2 broadcast events "paid" already wait for a run to take them \(at most 2\); nothing was kept$/);
      await other.keepBroadcast!('paid', { order: 'A1', amount: 9 }, keep, { tenant: 'acme' }); // another tenant's bound
      assert.ok(Date.parse(a1.expires) - Date.now() > 3_500_000);
      const run = await newRun(s);
      const now = new Date();
      const b2Where = { path: ['order'], value: 'B2' };
      assert.deepEqual(await other.takeBroadcast!(run, 'w1', 'paid', b2Where, now, true), { id: (await other.takeBroadcast!(run, 'w1', 'paid', b2Where, now, true))!.id, data: { order: 'B2', amount: 2 } }, 'a peek');
      const taken = await other.takeBroadcast!(run, 'w1', 'paid', b2Where, now);
      assert.deepEqual(taken?.data, { order: 'B2', amount: 2 });
      assert.deepEqual(await s.takeBroadcast!(run, 'w1', 'paid', b2Where, now), taken, 'the same wait takes the same one again (a resumed run)');
      assert.equal(await s.takeBroadcast!(run, 'w2', 'paid', b2Where, now), undefined, 'taken by w1: no other wait gets it');
      assert.deepEqual((await s.takeBroadcast!(run, 'w3', 'paid', undefined, now))?.id, a1.id, 'no correlation: the oldest open one');
      assert.equal(await s.takeBroadcast!(run, 'w4', 'paid', undefined, now), undefined, "the other tenant's is not this run's");
      const acme = await newRun(s, { tenant: 'acme' });
      assert.deepEqual((await s.takeBroadcast!(acme, 'w1', 'paid', { path: ['order'], value: 'A1' }, new Date(now.getTime() + 7_200_000))), undefined, 'expired');
      assert.deepEqual((await s.takeBroadcast!(acme, 'w1', 'paid', { path: ['order'], value: 'A1' }, now))?.data, { order: 'A1', amount: 9 });
      // taken ones no longer count against the bound
      await s.keepBroadcast!('paid', { order: 'D4', amount: 4 }, keep);
    });

    it('a cancellation flags a running run and ends a waiting one at once; a finished run refuses it', async () => {
      const s = await open();
      const other = await open();
      const running = await newRun(s);
      assert.equal(await other.isCancelRequested(running), false);
      assert.equal(await other.requestCancel(running, 'ann'), 'running');
      assert.equal(await s.isCancelRequested(running), true);
      assert.equal((await s.getRun(running)).cancelRequested, true);
      assert.deepEqual((await s.getEvents(running)).map((e) => [e.type, e.seq]), [['cancel.requested', 1]]);

      const waiting = await newRun(s, { status: 'queued' });
      await s.updateRun(waiting, { status: 'waiting', waitingOn: [APPROVAL], outputs: { partial: true } });
      assert.equal(await other.requestCancel(waiting), 'cancelled');
      const run = await s.getRun(waiting);
      assert.equal(run.status, 'cancelled');
      assert.deepEqual(run.waitingOn, []);
      const log = await s.getEvents(waiting);
      assert.deepEqual(log.map((e) => e.type), ['cancel.requested', 'run.cancelled']);
      assert.deepEqual((log[1] as Extract<RunEvent, { type: 'run.cancelled' }>).outputs, { partial: true });
      assert.equal(run.finishedAt, log[1].time);
      await rejectsWith(other.requestCancel(waiting), 'RUN_FINISHED', /has already been cancelled/);
      await rejectsWith(other.requestCancel('ZZZZZZZZZZ'), 'RUN_NOT_FOUND');
    });

    it('a start key makes exactly one run: 20 concurrent starts with one key on two handles', async () => {
      const [a, b] = [await open(), await open()];
      const key = { scope: '/hooks/order', key: 'order-42' };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createRun({ flow: 'F', inputs: { i }, definition: DEFINITION, startedAt: new Date().toISOString() }, key)),
      );
      assert.equal(results.filter((r) => !r.duplicate).length, 1, 'one start made the run');
      assert.equal(new Set(results.map((r) => r.id)).size, 1, 'every start answers with that run');
      assert.equal((await a.listRuns()).length, 1);
      // the same key in another scope is another run
      const elsewhere = await a.createRun({ flow: 'F', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString() }, { scope: '/hooks/other', key: 'order-42' });
      assert.equal(elsewhere.duplicate, false);
      assert.notEqual(elsewhere.id, results[0].id);
    });

    it('tenants: to a caller scoped to one tenant, another tenant\'s run is exactly a missing run — not found, no events, never ambiguous, nothing recorded', async () => {
      const s = await open();
      const other = await open();
      const mine = await newRun(s, { tenant: 'acme' });
      const theirs = await newRun(s, { tenant: 'globex' });
      const plain = await newRun(s);
      await s.getEvents(theirs);
      s.append(theirs, { type: 'run.started', flow: 'F', inputs: {} } as never);
      await s.updateRun(theirs, { status: 'waiting', waitingOn: [APPROVAL, EVENT_WAIT] });
      await s.getEvents(mine);
      s.append(mine, { type: 'run.started', flow: 'F', inputs: {} } as never);
      await s.updateRun(mine, { status: 'waiting', waitingOn: [APPROVAL, EVENT_WAIT] });
      let common = 0;
      while (mine[common] === theirs[common] && mine[common] === plain[common]) common++;
      const prefix = mine.slice(0, common);
      assert.ok(common >= 4, 'runs started together share their time prefix');
      const acme = { tenant: 'acme' };
      // the shortest prefix of their run that no other run has (ids of one millisecond may share 25 characters)
      const shared = (x: string, y: string) => [...x].findIndex((c, i) => c !== y[i]);
      const theirPrefix = theirs.slice(0, Math.max(shared(theirs, mine), shared(theirs, plain), 4) + 1);
      for (const h of [s, other]) {
        // by id, by prefix: only acme's own run
        assert.equal(await h.findRun(theirs, acme), undefined);
        await rejectsWith(h.getRun(theirs, acme), 'RUN_NOT_FOUND', new RegExp(`no run with id "${theirs}"`));
        await rejectsWith(h.getRun(theirPrefix, acme), 'RUN_NOT_FOUND');
        assert.equal((await h.getRun(prefix, acme)).id, mine, "another tenant's run does not make the prefix ambiguous");
        assert.equal((await h.getRun(prefix.toLowerCase(), acme)).id, mine);
        assert.equal((await h.getRun(mine, acme)).tenant, 'acme');
        await rejectsWith(h.getRun(prefix), 'RUN_ID_AMBIGUOUS');
        assert.equal((await h.getRun(plain, { tenant: 'default' })).id, plain, 'a run started without a tenant is tenant default\'s');
        await rejectsWith(h.getRun(plain, acme), 'RUN_NOT_FOUND');
        assert.deepEqual(await h.getEvents(theirs, acme), []);
        assert.deepEqual((await h.getEvents(mine, acme)).map((e) => e.type), ['run.started']);
        assert.deepEqual((await h.listRuns({ tenant: 'acme' })).map((r) => r.id), [mine]);
      }
      // nothing is recorded on another tenant's run
      await rejectsWith(other.recordDecision(theirs, 'sign', { decision: 'approved' }, acme), 'RUN_NOT_FOUND');
      await rejectsWith(other.recordSignal(theirs, 'paid', {}, acme), 'RUN_NOT_FOUND');
      await rejectsWith(other.requestCancel(theirs, 'mallory', acme), 'RUN_NOT_FOUND');
      await rejectsWith(other.recordDecision(theirPrefix, 'sign', { decision: 'approved' }, acme), 'RUN_NOT_FOUND');
      const untouched = await s.getRun(theirs);
      assert.deepEqual([untouched.status, untouched.cancelRequested, untouched.waitingOn.length], ['waiting', false, 2]);
      assert.deepEqual((await other.getEvents(theirs)).map((e) => e.type), ['run.started']);
      // the tenant's own run takes them
      assert.equal((await other.recordSignal(prefix, 'paid', { ok: true }, acme)).runId, mine);
      assert.equal((await other.recordDecision(mine, 'sign', { decision: 'approved' }, acme)).runId, mine);
      assert.equal(await other.requestCancel(mine, 'ann', acme), 'cancelled');
      assert.deepEqual((await s.getEvents(mine, acme)).map((e) => e.type), ['run.started', 'event.received', 'approval.decided', 'cancel.requested', 'run.cancelled']);
    });

    it('a start key is unique per tenant: one key makes one run in each tenant, and answers each tenant its own run', async () => {
      const [a, b] = [await open(), await open()];
      const key = { scope: '/hooks/order', key: 'order-42' };
      const start = (h: RunStoreApi, tenant?: string) => h.createRun({ flow: 'F', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), ...(tenant ? { tenant } : {}) }, key);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => start(i % 2 ? a : b, ['acme', 'globex', undefined][i % 3])));
      const byTenant = new Map<string, Set<string>>();
      for (const [i, r] of results.entries()) {
        const tenant = ['acme', 'globex', 'default'][i % 3];
        byTenant.set(tenant, (byTenant.get(tenant) ?? new Set()).add(r.id));
      }
      assert.deepEqual([...byTenant.values()].map((ids) => ids.size), [1, 1, 1], 'one run per tenant');
      assert.equal(results.filter((r) => !r.duplicate).length, 3);
      for (const [tenant, ids] of byTenant) assert.equal((await a.getRun([...ids][0], { tenant })).tenant, tenant);
      assert.equal((await a.listRuns()).length, 3);
    });

    leaseConformance(context);
    watchConformance(context);
    lockConformance(context);
    choiceConformance(context);

    it('close writes what is buffered; closing twice is safe', async () => {
      const s = await fixture.store().handle();
      const id = await newRun(s);
      s.append(id, stepEvents(1, 'z')[0]);
      await s.close();
      await s.close();
      const other = await open();
      assert.equal((await other.getEvents(id)).length, 1);
    });
  });
}
