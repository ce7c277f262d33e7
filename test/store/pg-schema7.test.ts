import assert from 'node:assert/strict';
import pg from 'pg';
import { MIGRATIONS, PG_SCHEMA_VERSION, PgRunStore } from '../../packages/cluster/src/index.js';
import { eventHash } from '../../packages/runtime/src/index.js';
import { schema8Conformance, type NotificationRow, type RunStepRow, type Schema8Factory } from './conformance-schema8.js';
import { consoleConformance } from './conformance-console.js';
import { pgTestSchemas } from './pg-test-schemas.js';

/**
 * Migration 7 (the console's tables) against a real PostgreSQL: `BATON_TEST_PG_URL` (scripts/services.mjs). Each test
 * gets a schema of its own, dropped after it.
 */
const { testUrl, adminPool, newSchema, dropSchemas, endAdmin } = pgTestSchemas();

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);
const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

describe('PostgreSQL store: migration 7 (the console)', function () {
  this.timeout(60_000);
  before(() => void testUrl());
  after(async () => {
    await dropSchemas();
    await endAdmin();
  });

  const pgFactory: Schema8Factory = {
    async fresh() {
      const schema = newSchema();
      return {
        handle: () => PgRunStore.open(testUrl(), { schema }),
        runSteps: async (runId) =>
          (await adminPool().query(`SELECT * FROM ${schema}.run_steps WHERE run_id = $1 ORDER BY seq`, [runId])).rows.map(
            (r): RunStepRow => ({ ...r, finished_at: iso(r.finished_at)!, duration_ms: num(r.duration_ms), tokens: num(r.tokens), cost_nano: num(r.cost_nano) }),
          ),
        notifications: async () =>
          (await adminPool().query(`SELECT * FROM ${schema}.notifications ORDER BY run_id, seq`)).rows.map((r): NotificationRow => ({ ...r, created_at: iso(r.created_at)! })),
        enableOutbox: async () => void (await adminPool().query(`UPDATE ${schema}.baton_settings SET notifications = true`)),
        insertSlaBreach: async (b) =>
          void (await adminPool().query(`INSERT INTO ${schema}.sla_breaches (run_id, key, tenant, flow, deadline, at) VALUES ($1, $2, $3, $4, $5, $6)`, [b.runId, b.key, b.tenant, b.flow, b.deadline, b.at])),
      };
    },
    cleanup: dropSchemas,
  };
  schema8Conformance('PostgreSQL', pgFactory);
  consoleConformance('PostgreSQL', pgFactory);

  it('a migration-6 database with runs is migrated when opened: nothing stored changes, durations and run_steps are filled, new events feed run_steps', async () => {
    const schema = newSchema();
    const done = '01KBOLD0000000000000000001';
    const waiting = '01KBOLD0000000000000000002';
    const pool = new pg.Pool({ connectionString: testUrl(), max: 1, options: `-c search_path=${schema}` });
    const events = [
      { run_id: done, seq: 1, type: 'run.started', time: '2026-12-01T10:00:00.250Z', data: { type: 'run.started', flow: 'Purchase', inputs: {} } },
      { run_id: done, seq: 2, type: 'step.finished', time: '2026-12-01T10:00:03.000Z', data: { type: 'step.finished', step: 'a', node: 'n1', agent: 'A', status: 'succeeded', durationMs: 2750, attempts: 3, tokens: 42, costUsd: 0.5, callIndexes: [] } },
      { run_id: done, seq: 3, type: 'run.succeeded', time: '2026-12-01T10:00:04.000Z', data: { type: 'run.succeeded', outputs: {} } },
      { run_id: waiting, seq: 1, type: 'run.started', time: '2026-12-02T10:00:00.000Z', data: { type: 'run.started', flow: 'Purchase', inputs: {} } },
    ];
    let before: { runs: unknown[]; events: unknown[] };
    try {
      await pool.query(`CREATE SCHEMA ${schema}`);
      await pool.query('CREATE TABLE baton_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const m of MIGRATIONS.filter((m) => m.version <= 6)) {
        await pool.query(m.sql);
        await pool.query('INSERT INTO baton_schema (version, description) VALUES ($1, $2)', [m.version, m.description]);
      }
      await pool.query("INSERT INTO definitions VALUES ('abc', '{\"name\":\"Purchase\"}')");
      await pool.query("INSERT INTO runs (id, tenant, flow, status, started_at, finished_at, inputs, definition) VALUES ($1, 'acme', 'Purchase', 'succeeded', '2026-12-01T10:00:00.250Z', '2026-12-01T10:00:04.000Z', '{\"q\":1}', 'sha256:abc')", [done]);
      await pool.query("INSERT INTO runs (id, flow, status, started_at, inputs, definition) VALUES ($1, 'Purchase', 'waiting', '2026-12-02T10:00:00.000Z', '{}', 'sha256:abc')", [waiting]);
      let prev: string | null = null;
      for (const e of events) {
        if (e.seq === 1) prev = null;
        const hash = eventHash({ runId: e.run_id, seq: e.seq, type: e.type, time: e.time, data: e.data, prev });
        await pool.query('INSERT INTO events (run_id, seq, type, time, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)', [e.run_id, e.seq, e.type, e.time, JSON.stringify(e.data), prev, hash]);
        prev = hash;
      }
      before = { runs: (await pool.query('SELECT * FROM runs ORDER BY id')).rows, events: (await pool.query('SELECT * FROM events ORDER BY run_id, seq')).rows };
    } finally {
      await pool.end();
    }

    const store = await PgRunStore.open(testUrl(), { schema });
    try {
      const run = await store.getRun(done);
      assert.equal(run.durationMs, 3750, 'computed for the runs stored before: 10:00:04.000 − 10:00:00.250');
      assert.equal((await store.getRun(waiting)).durationMs, undefined);
      await store.getEvents(waiting);
      store.append(waiting, { type: 'step.finished', step: 'b', node: 'n2', agent: 'A', status: 'succeeded', durationMs: 5, attempts: 1, tokens: 1, callIndexes: [] });
      await store.flush();
    } finally {
      await store.close();
    }
    const q = (sql: string) => adminPool().query(sql.replaceAll('§', `${schema}.`));
    assert.deepEqual((await q('SELECT version FROM §baton_schema ORDER BY version')).rows.map((r) => r.version), Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    assert.equal(PG_SCHEMA_VERSION, 7);
    const runs = (await q('SELECT * FROM §runs ORDER BY id')).rows.map(({ duration_ms: _d, sla_due_at: _a, sla_flow_at: _b, sla_breached_at: _c, ...rest }) => rest);
    assert.deepEqual(runs, before.runs, 'every run column as it was');
    assert.deepEqual((await q(`SELECT * FROM §events WHERE NOT (run_id = '${waiting}' AND seq = 2) ORDER BY run_id, seq`)).rows, before.events, 'every event as it was');
    const steps = (await q('SELECT run_id, seq, tenant, flow, node, status, duration_ms, attempts, tokens, cost_nano FROM §run_steps ORDER BY run_id, seq')).rows;
    assert.deepEqual(
      steps.map((r) => ({ ...r, duration_ms: num(r.duration_ms), tokens: num(r.tokens), cost_nano: num(r.cost_nano) })),
      [
        { run_id: done, seq: 2, tenant: 'acme', flow: 'Purchase', node: 'n1', status: 'succeeded', duration_ms: 2750, attempts: 3, tokens: 42, cost_nano: 500_000_000 },
        { run_id: waiting, seq: 2, tenant: 'default', flow: 'Purchase', node: 'n2', status: 'succeeded', duration_ms: 5, attempts: 1, tokens: 1, cost_nano: null },
      ],
    );
    const indexes = (await q(`SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}'`)).rows.map((r) => r.indexname);
    for (const name of ['runs_tenant', 'runs_tenant_status', 'runs_tenant_flow', 'runs_tenant_flow_status', 'runs_sla_due']) assert.ok(indexes.includes(name), `${name} exists`);
  });
});
