/**
 * The console's store schema (SQLite schema 8, PostgreSQL migration 7; issue 13) on both stores, with identical
 * results: the run's duration written with its end, the SLA columns, the step projection (complete once a run has
 * ended: SQLite writes it then, PostgreSQL's trigger with each event), and the notifications outbox filled by its
 * trigger only while the flag is on. Registered by sqlite-schema8.test.ts and pg-schema7.test.ts with a factory that
 * also reads the tables the contract does not show.
 */
import assert from 'node:assert/strict';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { storeFixture } from './conformance-fixture.js';
import { DEFINITION } from './conformance-support.js';

/** A `run_steps` row, as both stores are read for it. */
export interface RunStepRow {
  run_id: string;
  seq: number;
  tenant: string;
  flow: string;
  node: string | null;
  step: string | null;
  status: string | null;
  finished_at: string;
  duration_ms: number | null;
  attempts: number | null;
  tokens: number | null;
  cost_nano: number | null;
}

/** A `notifications` row, as both stores are read for it. */
export interface NotificationRow {
  id: string;
  tenant: string;
  run_id: string;
  seq: number;
  kind: string;
  flow: string;
  created_at: string;
  expanded: boolean;
}

/** A fresh store and raw reads of its schema-8 tables (normalized: numbers as numbers, times as ISO 8601). */
export interface Schema8Store {
  handle(): Promise<RunStoreApi>;
  runSteps(runId: string): Promise<RunStepRow[]>;
  notifications(): Promise<NotificationRow[]>;
  /** Turns the outbox trigger's flag on (SQLite `meta.notifications = 'on'`, PostgreSQL `baton_settings`). */
  enableOutbox(): Promise<void>;
  /** Adds a row to `sla_breaches` (times ISO 8601). */
  insertSlaBreach(row: { runId: string; key: string; tenant: string; flow: string; deadline: string; at: string }): Promise<void>;
}

export interface Schema8Factory {
  fresh(): Promise<Schema8Store>;
  cleanup?(): Promise<void>;
}

/** Registers the schema-8 cases for the stores `factory` makes. */
export function schema8Conformance(name: string, factory: Schema8Factory): void {
  describe(`run store schema 8 (the console's tables): ${name}`, function () {
    this.timeout(30_000);
    const fixture = storeFixture(factory);
    const open = fixture.open;

    it("a run's duration_ms is finishedAt − startedAt (ms) once it ends, absent before; the SLA columns round-trip", async () => {
      const s = await open();
      const startedAt = '2026-12-04T23:59:58.900Z';
      const { id } = await s.createRun({ flow: 'F', inputs: {}, definition: DEFINITION, startedAt, slaFlowAt: '2026-12-05T03:59:58.900Z', slaDueAt: '2026-12-05T01:00:00.000Z' });
      const running = await s.getRun(id);
      assert.equal(running.durationMs, undefined);
      assert.equal(running.slaFlowAt, '2026-12-05T03:59:58.900Z');
      assert.equal(running.slaDueAt, '2026-12-05T01:00:00.000Z');
      assert.equal(running.slaBreachedAt, undefined);
      // across a day boundary, with milliseconds on both sides
      await s.updateRun(id, { status: 'succeeded', finishedAt: '2026-12-06T00:00:01.050Z', slaDueAt: null });
      const done = await (await open()).getRun(id);
      assert.equal(done.durationMs, 86_400_000 + 2150);
      assert.equal(done.slaDueAt, undefined, 'slaDueAt: null clears it');
      assert.equal(done.slaFlowAt, '2026-12-05T03:59:58.900Z', 'untouched by an update that does not name it');
      assert.deepEqual((await s.listRuns({ limit: 1 }))[0], done, 'listRuns reads the same columns');
      // a cancellation writes finished_at by its own statement: the duration follows
      const waiting = (await s.createRun({ flow: 'F', inputs: {}, definition: DEFINITION, startedAt: new Date(Date.now() - 1000).toISOString() })).id;
      await s.updateRun(waiting, { status: 'waiting' });
      await s.requestCancel(waiting);
      const cancelled = await s.getRun(waiting);
      assert.equal(cancelled.durationMs, Date.parse(cancelled.finishedAt!) - Date.parse(cancelled.startedAt));
    });

    it("a run's step.finished events are in run_steps once it ends, rounded alike on both stores; a step finished after its end adds its row; other events add none", async () => {
      const s = await open();
      const { id } = await s.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: '2026-12-04T10:00:00.000Z', tenant: 'acme' });
      s.append(id, { type: 'step.started', step: 'check', node: 'n1', agent: 'A', target: 'agent' });
      const finished = s.append(id, { type: 'step.finished', step: 'check', node: 'n1', agent: 'A', status: 'succeeded', output: 1, durationMs: 1234.5, attempts: 2, tokens: 300, costUsd: 0.0012345, callIndexes: [0, 1] }, new Date('2026-12-04T10:00:01.500Z'));
      s.append(id, { type: 'step.finished', step: 'pay[0]', node: 'n2', agent: 'B', status: 'failed', error: { code: 'X', message: 'x' }, durationMs: 10, attempts: 1, tokens: 0, callIndexes: [] }, new Date('2026-12-04T10:00:02.000Z'));
      s.append(id, { type: 'run.failed', error: { code: 'X', message: 'x' }, outputs: {} }, new Date('2026-12-04T10:00:02.001Z'));
      await s.updateRun(id, { status: 'failed', finishedAt: '2026-12-04T10:00:02.001Z' });
      const rows: RunStepRow[] = [
        { run_id: id, seq: finished.seq, tenant: 'acme', flow: 'Purchase', node: 'n1', step: 'check', status: 'succeeded', finished_at: '2026-12-04T10:00:01.500Z', duration_ms: 1235, attempts: 2, tokens: 300, cost_nano: 1_234_500 },
        { run_id: id, seq: finished.seq + 1, tenant: 'acme', flow: 'Purchase', node: 'n2', step: 'pay[0]', status: 'failed', finished_at: '2026-12-04T10:00:02.000Z', duration_ms: 10, attempts: 1, tokens: 0, cost_nano: null },
      ];
      assert.deepEqual(await fixture.store().runSteps(id), rows);
      // a branch that finishes after the run ended (its late event) is in the table at once
      const late = s.append(id, { type: 'step.finished', step: 'late', node: 'n3', agent: 'A', status: 'succeeded', output: 2, durationMs: 0.4, attempts: 1, tokens: 7, costUsd: 0, callIndexes: [] }, new Date('2026-12-04T10:00:03.000Z'));
      await s.flush();
      assert.deepEqual(await fixture.store().runSteps(id), [
        ...rows,
        { run_id: id, seq: late.seq, tenant: 'acme', flow: 'Purchase', node: 'n3', step: 'late', status: 'succeeded', finished_at: '2026-12-04T10:00:03.000Z', duration_ms: 0, attempts: 1, tokens: 7, cost_nano: 0 },
      ]);
      // a cancellation of a waiting run is an end too
      const waiting = (await s.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'acme' })).id;
      const step = s.append(waiting, { type: 'step.finished', step: 'ask', node: 'n1', agent: 'A', status: 'succeeded', output: 1, durationMs: 5, attempts: 1, tokens: 0, callIndexes: [] });
      await s.updateRun(waiting, { status: 'waiting' });
      await s.requestCancel(waiting);
      assert.deepEqual((await fixture.store().runSteps(waiting)).map((r) => [r.seq, r.step, r.duration_ms]), [[step.seq, 'ask', 5]]);
    });

    it('the outbox trigger adds a notification per approval.requested / run.failed / sla.breached only while the flag is on', async () => {
      const s = await open();
      const { id } = await s.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'acme' });
      s.append(id, { type: 'approval.requested', task: 'sign', node: 'n1', options: [] });
      await s.flush();
      assert.deepEqual(await fixture.store().notifications(), [], 'off by default: nothing is kept');
      await fixture.store().enableOutbox();
      const asked = s.append(id, { type: 'approval.requested', task: 'sign2', node: 'n1', options: [] });
      s.append(id, { type: 'step.started', step: 'x', node: 'n2', agent: 'A', target: 'agent' });
      const failed = s.append(id, { type: 'run.failed', error: { code: 'E', message: 'm' }, outputs: {} });
      await s.flush();
      assert.deepEqual(await fixture.store().notifications(), [
        { id: `${id}:${asked.seq}`, tenant: 'acme', run_id: id, seq: asked.seq, kind: 'approval.waiting', flow: 'Purchase', created_at: asked.time, expanded: false },
        { id: `${id}:${failed.seq}`, tenant: 'acme', run_id: id, seq: failed.seq, kind: 'run.failed', flow: 'Purchase', created_at: failed.time, expanded: false },
      ]);
    });
  });
}
