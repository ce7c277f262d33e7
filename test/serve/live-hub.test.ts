import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { BatonError, type LiveRelayLink, type RunChanges, type RunRecord, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { LiveHub, runSummary, SUMMARY_VALUE_BYTES, type LiveSink } from '../../packages/cli/src/serve/live-hub.js';

/**
 * The LiveHub's rules on one thread, with a store that holds runs and events in memory (what the hub reads of it:
 * getRun, eventsSince, watchRuns): every source's events reach a stream once and in order, a gap is filled from the
 * store, a report of a deleted run is dropped.
 */

const run = (id: string, tenant: string, extra: Partial<RunRecord> = {}): RunRecord => ({ id, flow: 'F', file: null, status: 'running', startedAt: '2026-12-05T10:00:00.000Z', finishedAt: null, inputs: {}, outputs: {}, error: null, waitingOn: [], cancelRequested: false, tenant, ...extra });
const event = (runId: string, seq: number, type = 'step.finished'): RunEvent => ({ runId, seq, time: '2026-12-05T10:00:00.000Z', type } as unknown as RunEvent);

/** The part of a store the hub reads, in memory; `watch` is the watch's listener once the hub listens. */
function memoryStore() {
  const runs = new Map<string, RunRecord>();
  const events = new Map<string, RunEvent[]>();
  const state = { watch: undefined as ((changes: RunChanges, runs?: readonly RunRecord[]) => void) | undefined, reads: 0 };
  const store = {
    getRun: async (id: string) => {
      const found = runs.get(id);
      if (!found) throw new BatonError('RUN_NOT_FOUND', `no run ${id}`);
      return found;
    },
    eventsSince: async (id: string, after: number, limit: number, scope?: { tenant?: string }) => {
      state.reads++;
      if (scope?.tenant && runs.get(id)?.tenant !== scope.tenant) return [];
      return (events.get(id) ?? []).filter((e) => e.seq > after).slice(0, limit);
    },
    watchRuns: async (listener: (changes: RunChanges, runs?: readonly RunRecord[]) => void) => {
      state.watch = listener;
      return async () => {
        state.watch = undefined;
      };
    },
  } as unknown as RunStoreApi;
  const add = (record: RunRecord, count: number) => {
    runs.set(record.id, record);
    events.set(record.id, Array.from({ length: count }, (_, i) => event(record.id, i + 1)));
  };
  return { store, runs, events, state, add };
}

/** A sink that keeps what it is sent, and resolves `until` once `match` holds. */
function recorder() {
  const sent: { event: string; data: unknown; id?: string }[] = [];
  let wake: (() => void) | undefined;
  const sink: LiveSink = {
    send(event, data, id) {
      sent.push({ event, data, ...(id !== undefined ? { id } : {}) });
      wake?.();
    },
    end: () => undefined,
  };
  const until = async (match: () => boolean) => {
    while (!match()) await new Promise<void>((resolve) => (wake = resolve));
  };
  const seqs = () => sent.filter((m) => m.event === 'events').flatMap((m) => (m.data as { events: RunEvent[] }).events.map((e) => e.seq));
  return { sink, sent, until, seqs };
}

describe('LiveHub (the console streams\' hub)', () => {
  it('an event had from two sources (relay and store) is sent once; a gap is read from the store; the order is the seq order', async () => {
    const mem = memoryStore();
    mem.add(run('r1', 'acme'), 3);
    const hub = new LiveHub({ store: mem.store, log: () => undefined });
    const out = recorder();
    hub.open('acme', 'ann', { list: false, inbox: false, run: 'r1', after: 0 }, out.sink);
    await out.until(() => out.seqs().length === 3);
    // the relay tells 3 (again) and 4: only 4 is new
    mem.events.get('r1')!.push(event('r1', 4));
    hub.receive([event('r1', 3), event('r1', 4)]);
    await out.until(() => out.seqs().length === 4);
    assert.deepEqual(out.seqs(), [1, 2, 3, 4]);
    // the store's watch reports the run: nothing new, nothing sent
    mem.state.watch!(['r1']);
    // the relay skips 5 (a message lost): 6 makes the stream read 5 and 6 from the store
    mem.events.get('r1')!.push(event('r1', 5), event('r1', 6));
    hub.receive([event('r1', 6)]);
    await out.until(() => out.seqs().length === 6);
    hub.receive([event('r1', 5), event('r1', 6)]);
    assert.deepEqual(out.seqs(), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(out.sent.filter((m) => m.event === 'events').map((m) => m.id), ['3', '4', '6']);
    await hub.close();
  });

  it("a report of a run the store no longer has (deleted) is dropped, and the hub goes on with the next one; other tenants' rows never reach a stream", async () => {
    const mem = memoryStore();
    const lines: string[] = [];
    const hub = new LiveHub({ store: mem.store, log: (line) => lines.push(line) });
    const acme = recorder();
    hub.open('acme', 'ann', { list: true, inbox: true, after: 0 }, acme.sink);
    await new Promise((resolve) => setImmediate(resolve));
    hub.changed(['deleted-run']);
    hub.receive([event('deleted-run', 7, 'run.succeeded')]);
    mem.state.watch!(['deleted-run']);
    mem.add(run('g1', 'globex', { status: 'waiting', waitingOn: [{ kind: 'approval', task: 't', options: [] } as never] }), 1);
    mem.add(run('a1', 'acme'), 1);
    hub.changed(['g1', 'a1']);
    await acme.until(() => acme.sent.some((m) => m.event === 'run'));
    assert.deepEqual(acme.sent.map((m) => [m.event, (m.data as RunRecord).id]), [['run', 'a1']]);
    assert.deepEqual(lines, [], 'a deleted run is not an error');
    // the same row again is not sent again; a change is
    hub.changed(['a1']);
    mem.runs.set('a1', run('a1', 'acme', { status: 'succeeded' }));
    hub.changed(['a1']);
    await acme.until(() => acme.sent.length === 2);
    assert.deepEqual(acme.sent.map((m) => [m.event, (m.data as RunRecord).status]), [['run', 'running'], ['run', 'succeeded']]);
    await hub.close();
  });

  it("a run executing here is left to the relay: the watch's reports of it read nothing until its relayed log stops (waiting, ended); relayed events go out while a read is under way", async () => {
    const mem = memoryStore();
    mem.add(run('r1', 'acme'), 2);
    const hub = new LiveHub({ store: mem.store, log: () => undefined });
    const out = recorder();
    hub.open('acme', 'ann', { list: false, inbox: false, run: 'r1', after: 0 }, out.sink);
    await out.until(() => out.seqs().length === 2);
    while (!mem.state.watch) await new Promise((resolve) => setImmediate(resolve));
    const reads = mem.state.reads;
    mem.events.get('r1')!.push(event('r1', 3));
    hub.receive([event('r1', 3)]);
    mem.state.watch(['r1']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(mem.state.reads, reads, 'no read for a run the relay reports');
    // a read under way (held here) does not hold back what the relay sends
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const eventsSince = mem.store.eventsSince!.bind(mem.store);
    (mem.store as { eventsSince: typeof eventsSince }).eventsSince = async (...args) => {
      await held;
      return eventsSince(...args);
    };
    mem.events.get('r1')!.push(event('r1', 4), event('r1', 5, 'run.waiting'));
    hub.receive([event('r1', 5, 'run.waiting')]);
    hub.receive([event('r1', 4)]);
    hub.receive([event('r1', 5, 'run.waiting')]);
    assert.deepEqual(out.seqs(), [1, 2, 3, 4, 5], 'sent while the gap read (after 3) waits');
    release();
    // the run waits now: the watch's reports read again (a foreign process may continue it)
    const before = mem.state.reads;
    mem.state.watch(['r1']);
    while (mem.state.reads === before) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(out.seqs(), [1, 2, 3, 4, 5]);
    await hub.close();
  });

  it("'all' from the watch (changes may be lost) sends reset and makes followed runs read again", async () => {
    const mem = memoryStore();
    mem.add(run('r1', 'acme'), 2);
    const hub = new LiveHub({ store: mem.store, log: () => undefined });
    const out = recorder();
    hub.open('acme', 'ann', { list: true, inbox: false, run: 'r1', after: 0 }, out.sink);
    await out.until(() => out.seqs().length === 2);
    while (!mem.state.watch) await new Promise((resolve) => setImmediate(resolve));
    mem.events.get('r1')!.push(event('r1', 3));
    mem.state.watch('all');
    await out.until(() => out.seqs().length === 3);
    assert.ok(out.sent.some((m) => m.event === 'reset'));
    await hub.close();
  });

  it('a list row leaves out inputs and outputs over 2 KiB (and says so)', () => {
    const big = run('r', 'acme', { inputs: { text: 'x'.repeat(SUMMARY_VALUE_BYTES) }, outputs: { ok: true } });
    const summary = runSummary(big);
    assert.deepEqual([summary.inputs, summary.inputsTruncated, summary.outputs, summary.outputsTruncated], [{}, true, { ok: true }, undefined]);
  });

  it('the hub sets the relay\'s flag while it has a stream open: on with the first, off with the last', async () => {
    const link: LiveRelayLink = { channel: `baton.live.test.${randomUUID()}`, flag: new Int32Array(new SharedArrayBuffer(4)) };
    // the hub sets the flag while it has a stream: on with the first, off with the last
    const mem = memoryStore();
    const hub = new LiveHub({ store: mem.store, relay: link, log: () => undefined });
    const flag = link.flag;
    const a = hub.open('acme', 'ann', { list: true, inbox: false, after: 0 }, recorder().sink);
    const b = hub.open('acme', 'ann', { list: true, inbox: false, after: 0 }, recorder().sink);
    assert.equal(Atomics.load(flag, 0), 1);
    hub.closeStream(a);
    assert.equal(Atomics.load(flag, 0), 1);
    hub.closeStream(b);
    assert.equal(Atomics.load(flag, 0), 0);
    await hub.close();
  });
});
