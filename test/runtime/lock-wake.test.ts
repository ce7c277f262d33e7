import assert from 'node:assert/strict';
import type { RunEvent, WaitingOn } from '@baton/protocol';
import { dueAt, isRunnable, lockGranted, type RunRecord } from '../../packages/runtime/src/index.js';

/*
 * Who continues a run that waits for a lock or a signal: a cluster's reconciler and executeLeased (isRunnable), a
 * worker's delayed wake-up (dueAt) and baton serve's due poller (dueRuns, through lockGranted).
 */

const LOCK: WaitingOn = { kind: 'lock', key: 'lock@F/lock@0', node: 'F/lock@0', name: 'stock:A1', deadline: '2026-06-01T01:00:00.000Z' };
const SIGNAL: WaitingOn = { kind: 'signal', key: 'signal@F/wait@1', node: 'F/wait@1', signal: 'paid', deadline: '2026-06-01T00:30:00.000Z' };
const run = (waitingOn: WaitingOn[]): RunRecord => ({ id: 'R', flow: 'F', file: null, status: 'waiting', startedAt: '2026-06-01T00:00:00.000Z', finishedAt: null, inputs: {}, outputs: {}, error: null, waitingOn, cancelRequested: false });
const granted = { type: 'lock.acquired', key: 'lock@F/lock@0', node: 'F/lock@0', name: 'stock:A1', from: 'OTHER', runId: 'R', seq: 5, time: '2026-06-01T00:10:00.000Z' } as RunEvent;
const early = Date.parse('2026-06-01T00:05:00.000Z');

describe('runtime: waking runs that wait for a lock or a signal', () => {
  it('a run waiting for a lock is runnable once the lock was handed to it (lock.acquired in its log), not before', () => {
    assert.equal(isRunnable(run([LOCK]), [], early), false);
    assert.equal(lockGranted(run([LOCK]), [granted]), true);
    assert.equal(isRunnable(run([LOCK]), [granted], early), true);
    assert.equal(lockGranted(run([LOCK]), [{ ...granted, key: 'lock@F/lock@9' } as RunEvent]), false, 'another block instance was granted');
  });

  it('the deadlines of a lock block and of a wait signal are when the run is due', () => {
    assert.equal(dueAt(run([LOCK, SIGNAL])), Date.parse('2026-06-01T00:30:00.000Z'));
    assert.equal(isRunnable(run([LOCK]), [], Date.parse('2026-06-01T01:00:00.000Z')), true, 'its timeout passed: on timeout runs');
  });
});
