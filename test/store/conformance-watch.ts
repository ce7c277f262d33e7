/**
 * The run store conformance suite's cases of `watchRuns` (issue 11): what another handle commits is reported, what
 * is only buffered or refused is not, and a stopped watch reports nothing more. Registered by
 * `runStoreConformance` (conformance.ts) inside its suite, so that the SQLite and PostgreSQL suites both run
 * them.
 */
import assert from 'node:assert/strict';
import type { Lease, RunStoreApi } from '../../packages/runtime/src/index.js';
import { APPROVAL, eventually, EVENT_WAIT, rejectsWith, stepEvents, type ConformanceContext } from './conformance-support.js';

/** Registers the `watchRuns` cases (call inside the suite's `describe`, with its context). */
export function watchConformance(context: ConformanceContext): void {
  const { open, newRun } = context;

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
}
