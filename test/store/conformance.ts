/**
 * The run store conformance suite (issue 11): one set of behaviours every {@link RunStoreApi} implementation
 * passes with identical results — the embedded SQLite store (sqlite-conformance.test.ts) and the PostgreSQL store
 * (pg-conformance.test.ts). Each test gets a fresh, empty store from the factory and may open several handles on
 * it (as several processes or machines would).
 */
import assert from 'node:assert/strict';
import type { NewRunEvent, RunEvent, WaitingOn, WorkflowDefinition } from '@baton/protocol';
import { BatonError, type Lease, type RunStoreApi } from '../../packages/runtime/src/index.js';

/** A fresh, empty store: handles on it, and what the suite cannot see through the contract. */
export interface FreshStore {
  /** Opens another handle on the same store (another process's view). */
  handle(): Promise<RunStoreApi>;
  /** How many definitions the store keeps (to check they are stored once per content). */
  definitionCount(): Promise<number>;
}

/** Makes a fresh, empty store for one test; `cleanup` runs after each test (handles opened are closed first). */
export interface StoreFactory {
  fresh(): Promise<FreshStore>;
  cleanup?(): Promise<void>;
}

const DEFINITION = {
  name: 'conformance',
  inputs: [],
  outputs: [],
  body: [],
  marker: 'one',
} as unknown as WorkflowDefinition;

const RANGE = { file: 'f.flow', start: { line: 1, column: 1 }, end: { line: 1, column: 2 } };

const OTHER_DEFINITION = { ...DEFINITION, marker: 'two' } as unknown as WorkflowDefinition;

const APPROVAL: WaitingOn = { kind: 'approval', task: 'sign', node: 'n1', options: ['escalate'] } as unknown as WaitingOn;
const EVENT_WAIT: WaitingOn = { kind: 'event', event: 'paid', key: 'k1', node: 'n2' } as unknown as WaitingOn;

/** Asserts that `promise` rejects with a BatonError of `code` whose message matches `message`. */
async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<BatonError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BatonError, `expected a BatonError ${code}, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Polls `probe` until it returns a value (not undefined), up to `ms`. */
async function eventually<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** `n` step.started events whose nodes are `<tag>0`, `<tag>1`, … */
function stepEvents(n: number, tag: string): NewRunEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'step.started', node: `${tag}${i}`, step: `${tag}${i}`, agent: 'A', target: 'agent' }) as const);
}

/** The seq numbers of a log, checked gapless from 1 and without duplicates. */
function assertGapless(log: RunEvent[]): void {
  assert.deepEqual(
    log.map((e) => e.seq),
    log.map((_, i) => i + 1),
    'the log is one gap-free sequence',
  );
}

/** Registers the conformance suite for the stores `factory` makes. */
export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`run store conformance: ${name}`, function () {
    this.timeout(30_000);
    let store: FreshStore;
    let opened: RunStoreApi[] = [];
    /** A handle closed after the test. */
    const open = async (): Promise<RunStoreApi> => {
      const handle = await store.handle();
      opened.push(handle);
      return handle;
    };
    const newRun = (s: RunStoreApi, extra: Partial<Parameters<RunStoreApi['createRun']>[0]> = {}) =>
      s.createRun({ flow: 'F', file: 'f.flow', inputs: { n: 1 }, definition: DEFINITION, startedAt: new Date().toISOString(), ...extra }).then((r) => r.id);

    beforeEach(async () => {
      store = await factory.fresh();
      opened = [];
    });
    afterEach(async () => {
      for (const handle of opened) await handle.close().catch(() => undefined);
      await factory.cleanup?.();
    });

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
      assert.equal(await store.definitionCount(), 2);
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

    /** A watch on `s` that records every report, and waits for a run to be reported. */
    async function recordWatch(s: RunStoreApi) {
      const reports: (readonly string[] | 'all')[] = [];
      const stop = await s.watchRuns((changes) => reports.push(changes), { pollMs: 20 });
      const reported = (id: string, from = 0) => reports.slice(from).some((r) => r !== 'all' && r.includes(id));
      return {
        reports,
        stop,
        reported,
        /** Waits until `id` is reported after report number `from`. */
        waitFor: (id: string, from = 0) => eventually(async () => (reported(id, from) ? true : undefined)),
      };
    }

    it('watchRuns reports runs created, their events flushed and their state changed by another handle — not buffered events, nor a flush that was refused', async () => {
      const watcher = await open();
      const writer = await open();
      const other = await open();
      const watch = await recordWatch(watcher);
      const id = await newRun(writer);
      await watch.waitFor(id);

      // appended, not committed: not reported — a later commit of another handle is seen first (the barrier)
      let mark = watch.reports.length;
      writer.append(id, stepEvents(1, 'w')[0]);
      const barrier = await newRun(other);
      await watch.waitFor(barrier, mark);
      assert.ok(!watch.reported(id, mark), 'a buffered event is not reported');
      await writer.flush();
      await watch.waitFor(id, mark);

      // a flush refused for a lost lease is rolled back: not reported
      assert.ok(await writer.claimLease(id, 'writer', 1));
      let lease: Lease | undefined;
      await eventually(async () => (lease = await other.claimLease(id, 'other', 60_000)));
      mark = watch.reports.length;
      writer.append(id, stepEvents(1, 'stale')[0]);
      await rejectsWith(writer.flush(), 'LEASE_LOST');
      await other.updateRun(barrier, { status: 'waiting', waitingOn: [APPROVAL] });
      await watch.waitFor(barrier, mark);
      assert.ok(!watch.reported(id, mark), 'a refused flush is not reported');

      // the state of the run changes (the new holder finishes it)
      mark = watch.reports.length;
      await other.updateRun(id, { status: 'succeeded', finishedAt: new Date().toISOString(), outputs: { done: true } });
      await watch.waitFor(id, mark);
      assert.ok(watch.reports.every((r) => r !== 'all'), 'nothing was missed');
      await other.releaseLease(lease!);
    });

    it('watchRuns: a decision, a delivered event and a cancellation from another handle are reported; a stopped watch reports nothing more', async () => {
      const watcher = await open();
      const writer = await open();
      const watch = await recordWatch(watcher);
      const control = await recordWatch(await open());
      const approval = await newRun(writer);
      const event = await newRun(writer);
      const cancel = await newRun(writer);
      await writer.updateRun(approval, { status: 'waiting', waitingOn: [APPROVAL] });
      await writer.updateRun(event, { status: 'waiting', waitingOn: [EVENT_WAIT] });
      await watch.waitFor(cancel);
      let mark = watch.reports.length;
      await writer.recordDecision(approval, 'sign', { decision: 'approved' });
      await watch.waitFor(approval, mark);
      mark = watch.reports.length;
      await writer.recordSignal(event, 'paid', { amount: 1 });
      await watch.waitFor(event, mark);
      mark = watch.reports.length;
      await writer.requestCancel(cancel, 'someone');
      await watch.waitFor(cancel, mark);

      await watch.stop();
      mark = watch.reports.length;
      const after = await newRun(writer);
      await control.waitFor(after);
      assert.equal(watch.reports.length, mark, 'no report after stop');
      await control.stop();
    });

    it('close writes what is buffered; closing twice is safe', async () => {
      const s = await store.handle();
      const id = await newRun(s);
      s.append(id, stepEvents(1, 'z')[0]);
      await s.close();
      await s.close();
      const other = await open();
      assert.equal((await other.getEvents(id)).length, 1);
    });
  });
}
