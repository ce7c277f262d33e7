import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { eventHash, SCHEMA_VERSION, SqliteRunStore } from '../../packages/runtime/src/index.js';
import { schema8Conformance, type NotificationRow, type RunStepRow, type Schema8Factory } from './conformance-schema8.js';
import { consoleConformance } from './conformance-console.js';
import { DEFINITION } from './conformance-support.js';
import { STEP_ROWS_BATCH } from '../../packages/runtime/src/store/sqlite-projection.js';

type Db = InstanceType<typeof sqlite.Database>;

/** Reads (or writes) the store file with a connection of its own, waiting while a handle of this process holds it. */
async function raw<T>(file: string, body: (db: Db) => T): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const db = new sqlite.Database(file);
      try {
        return body(db);
      } finally {
        db.close();
      }
    } catch (error) {
      if (!/busy|locked/i.test(String(error)) || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const dirs: string[] = [];
const freshFile = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-schema8-'));
  dirs.push(dir);
  return path.join(dir, 'runs.db');
};

const sqliteFactory: Schema8Factory = {
  async fresh() {
    const file = freshFile();
    return {
      handle: async () => SqliteRunStore.open(file),
      runSteps: (runId) => raw(file, (db) => db.all('SELECT * FROM run_steps WHERE run_id = ? ORDER BY seq', [runId]) as unknown as RunStepRow[]),
      notifications: () =>
        raw(file, (db) => (db.all('SELECT * FROM notifications ORDER BY run_id, seq') as unknown as (Omit<NotificationRow, 'expanded'> & { expanded: number })[]).map((n) => ({ ...n, expanded: n.expanded === 1 }))),
      enableOutbox: () => raw(file, (db) => void db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('notifications', 'on')")),
      insertSlaBreach: (b) => raw(file, (db) => void db.run('INSERT INTO sla_breaches (run_id, key, tenant, flow, deadline, at) VALUES (?, ?, ?, ?, ?, ?)', [b.runId, b.key, b.tenant, b.flow, b.deadline, b.at])),
    };
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
};
schema8Conformance('SQLite', sqliteFactory);
consoleConformance('SQLite', sqliteFactory);

/** The tables of a schema-7 store as that release created them (the ones schema 8 touches). */
const SCHEMA_7 = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO meta VALUES ('schema', '7');
  CREATE TABLE runs (id TEXT PRIMARY KEY, flow TEXT NOT NULL, file TEXT, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
    inputs TEXT NOT NULL, outputs TEXT NOT NULL DEFAULT '{}', error TEXT, waiting_on TEXT NOT NULL DEFAULT '[]',
    cancel_requested INTEGER NOT NULL DEFAULT 0, definition TEXT NOT NULL, agents TEXT, tenant TEXT NOT NULL DEFAULT 'default',
    lease_owner TEXT, lease_expires_at TEXT, epoch INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX runs_status ON runs (status);
  CREATE TABLE definitions (hash TEXT PRIMARY KEY, body TEXT NOT NULL);
  CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL, data TEXT NOT NULL,
    prev_hash TEXT, hash TEXT, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
`;

describe('SQLite store: schema 7 → 8 (the console)', () => {
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('a schema-7 store with runs is upgraded when opened: nothing stored changes, durations and run_steps are filled; a running run\'s new steps wait for its end', async () => {
    const file = freshFile();
    const done = '01KBOLD0000000000000000001';
    const waiting = '01KBOLD0000000000000000002';
    const events = [
      { run_id: done, seq: 1, type: 'run.started', time: '2026-12-01T10:00:00.250Z', data: { type: 'run.started', flow: 'Purchase', inputs: {} } },
      { run_id: done, seq: 2, type: 'step.finished', time: '2026-12-01T10:00:03.000Z', data: { type: 'step.finished', step: 'a', node: 'n1', agent: 'A', status: 'succeeded', durationMs: 2750, attempts: 3, tokens: 42, costUsd: 0.5, callIndexes: [] } },
      { run_id: done, seq: 3, type: 'run.succeeded', time: '2026-12-01T10:00:04.000Z', data: { type: 'run.succeeded', outputs: {} } },
      { run_id: waiting, seq: 1, type: 'run.started', time: '2026-12-02T10:00:00.000Z', data: { type: 'run.started', flow: 'Purchase', inputs: {} } },
    ];
    await raw(file, (db) => {
      db.exec(SCHEMA_7);
      db.run("INSERT INTO definitions VALUES ('abc', '{\"name\":\"Purchase\"}')");
      db.run("INSERT INTO runs (id, flow, status, started_at, finished_at, inputs, definition, tenant) VALUES (?, 'Purchase', 'succeeded', '2026-12-01T10:00:00.250Z', '2026-12-01T10:00:04.000Z', '{\"q\":1}', 'sha256:abc', 'acme')", [done]);
      db.run("INSERT INTO runs (id, flow, status, started_at, inputs, definition, waiting_on) VALUES (?, 'Purchase', 'waiting', '2026-12-02T10:00:00.000Z', '{}', 'sha256:abc', '[]')", [waiting]);
      let prev: string | null = null;
      for (const e of events) {
        if (e.seq === 1) prev = null;
        const hash = eventHash({ runId: e.run_id, seq: e.seq, type: e.type, time: e.time, data: e.data, prev });
        db.run('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)', [e.run_id, e.seq, e.type, e.time, JSON.stringify(e.data), prev, hash]);
        prev = hash;
      }
    });
    const before = await raw(file, (db) => ({ runs: db.all('SELECT * FROM runs ORDER BY id'), events: db.all('SELECT * FROM events ORDER BY run_id, seq') }));

    const store = SqliteRunStore.open(file);
    try {
      const run = await store.getRun(done);
      assert.equal(run.durationMs, 3750, 'backfilled: 10:00:04.000 − 10:00:00.250');
      assert.equal((await store.getRun(waiting)).durationMs, undefined);
      assert.equal(run.tenant, 'acme');
      assert.deepEqual((await store.readChain(undefined, 10)).map((r) => r.hash), before.events.map((e) => (e as { hash: string }).hash), 'the chain is untouched');
      // a new step of the waiting run: in run_steps once the run ends (below: not yet)
      await store.getEvents(waiting);
      store.append(waiting, { type: 'step.finished', step: 'b', node: 'n2', agent: 'A', status: 'succeeded', durationMs: 5, attempts: 1, tokens: 1, callIndexes: [] });
      await store.flush();
    } finally {
      await store.close();
    }
    await raw(file, (db) => {
      assert.equal((db.get("SELECT value FROM meta WHERE key = 'schema'") as { value: string }).value, String(SCHEMA_VERSION));
      assert.equal(SCHEMA_VERSION, 8);
      const runs = db.all('SELECT * FROM runs ORDER BY id') as Record<string, unknown>[];
      assert.deepEqual(
        runs.map(({ duration_ms: _d, sla_due_at: _a, sla_flow_at: _b, sla_breached_at: _c, ...rest }) => rest),
        before.runs,
        'every run column as it was',
      );
      assert.deepEqual(db.all('SELECT * FROM events WHERE seq <= 3 AND NOT (run_id = ? AND seq = 2) ORDER BY run_id, seq', [waiting]), before.events, 'every event as it was');
      assert.deepEqual(db.all('SELECT run_id, seq, tenant, flow, node, status, duration_ms, attempts, tokens, cost_nano FROM run_steps ORDER BY run_id, seq'), [
        { run_id: done, seq: 2, tenant: 'acme', flow: 'Purchase', node: 'n1', status: 'succeeded', duration_ms: 2750, attempts: 3, tokens: 42, cost_nano: 500_000_000 },
      ]);
      const names = (db.all("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger', 'table') ORDER BY name") as { name: string }[]).map((r) => r.name);
      for (const name of ['runs_tenant', 'runs_tenant_status', 'runs_tenant_flow', 'runs_tenant_flow_status', 'runs_sla_due', 'sla_breaches', 'sources', 'definition_sources', 'notification_deliveries']) {
        assert.ok(names.includes(name), `${name} exists`);
      }
    });
    // opening the upgraded store again changes nothing
    const again = SqliteRunStore.open(file);
    assert.equal((await again.getRun(done)).durationMs, 3750);
    await again.close();
  });
});

describe('SQLite store: run_steps written when a run ends (issue 15: one journaled page per step)', () => {
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("a running run's steps, and those of a run whose process died, are counted from its events; its end writes them all, and the metrics do not change", async () => {
    const file = freshFile();
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    const window = { tenant: 'acme', from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const writer = SqliteRunStore.open(file);
    const { id } = await writer.createRun({ flow: 'Buy', inputs: {}, definition: DEFINITION, startedAt, tenant: 'acme' });
    for (let i = 0; i < 6; i++) {
      writer.append(id, { type: 'step.started', step: `s${i}`, node: `n${i % 2}`, agent: 'A', target: 'agent' });
      writer.append(id, { type: 'step.finished', step: `s${i}`, node: `n${i % 2}`, agent: 'A', status: i === 5 ? 'failed' : 'succeeded', output: i, durationMs: 10 * i + 0.5, attempts: 1 + (i % 3), tokens: 100 + i, costUsd: 0.001 * i, callIndexes: [] });
      await writer.flush();
    }
    // the writer stops here without ending the run, as a process killed mid-run would (closing writes nothing more)
    await writer.close();
    assert.deepEqual(await raw(file, (db) => db.all('SELECT seq FROM run_steps WHERE run_id = ?', [id])), [], 'nothing projected while the run has not ended');
    const reader = SqliteRunStore.open(file);
    const running = await reader.runStats!(window);
    assert.deepEqual(
      running.steps.map((s) => [s.node, s.count, s.failed, s.totalMs, s.retries]),
      [
        ['n0', 3, 0, 1 + 21 + 41, 0 + 2 + 1],
        ['n1', 3, 1, 11 + 31 + 51, 1 + 0 + 2],
      ],
      "counted from the run's events (durations rounded as run_steps rounds them)",
    );
    assert.equal(running.flows[0].tokensAvg, 6 * 100 + 15);
    // another process takes the run over and ends it: all its steps are written with its end
    await reader.updateRun(id, { status: 'failed', finishedAt: new Date().toISOString() });
    assert.deepEqual(
      await raw(file, (db) => (db.all('SELECT step, duration_ms, attempts, tokens, cost_nano FROM run_steps WHERE run_id = ? ORDER BY seq', [id]) as { step: string }[]).map((r) => Object.values(r))),
      [0, 1, 2, 3, 4, 5].map((i) => [`s${i}`, 10 * i + 1, 1 + (i % 3), 100 + i, 1_000_000 * i]),
    );
    const ended = await reader.runStats!(window);
    assert.deepEqual(ended.steps, running.steps, 'the same step figures from run_steps as from the events');
    assert.deepEqual(
      ended.flows.map(({ tokensAvg, tokensP95, costAvgUsd, costP95Usd, retries }) => ({ tokensAvg, tokensP95, costAvgUsd, costP95Usd, retries })),
      running.flows.map(({ tokensAvg, tokensP95, costAvgUsd, costP95Usd, retries }) => ({ tokensAvg, tokensP95, costAvgUsd, costP95Usd, retries })),
    );
    // a redriven run runs again: its new steps are counted from the events (not twice), and written at its next end
    await reader.updateRun(id, { status: 'running', finishedAt: null });
    reader.append(id, { type: 'step.finished', step: 's6', node: 'n0', agent: 'A', status: 'succeeded', output: 6, durationMs: 7, attempts: 1, tokens: 1, callIndexes: [] });
    await reader.flush();
    const redriven = await reader.runStats!(window);
    assert.deepEqual(redriven.steps.map((s) => [s.node, s.count]), [['n0', 4], ['n1', 3]]);
    await reader.updateRun(id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    assert.deepEqual((await reader.runStats!(window)).steps, redriven.steps);
    assert.equal(await raw(file, (db) => (db.get('SELECT count(*) AS n FROM run_steps WHERE run_id = ?', [id]) as { n: number }).n), 7);
    await reader.close();
  });

  it('under a lease: no run_steps row while its holder runs it; its end writes them; a step its holder stores after the end adds its own row', async () => {
    const file = freshFile();
    const s = SqliteRunStore.open(file);
    const { id } = await s.createRun({ flow: 'Buy', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'acme' });
    assert.ok(await s.claimLease(id, 'worker-1', 60_000));
    const rows = () => raw(file, (db) => (db.all('SELECT seq, step FROM run_steps WHERE run_id = ? ORDER BY seq', [id]) as { seq: number; step: string }[]).map((r) => `${r.seq}:${r.step}`));
    const a = s.append(id, { type: 'step.finished', step: 'a', node: 'n1', agent: 'A', status: 'succeeded', output: 1, durationMs: 1, attempts: 1, tokens: 0, callIndexes: [] });
    await s.flush(id);
    assert.deepEqual(await rows(), []);
    await s.updateRun(id, { status: 'failed', finishedAt: new Date().toISOString() });
    assert.deepEqual(await rows(), [`${a.seq}:a`]);
    // a branch cancelled by the failure reports after it, through the same handle, lease still held
    const late = s.append(id, { type: 'step.finished', step: 'b', node: 'n2', agent: 'A', status: 'cancelled', durationMs: 2, attempts: 1, tokens: 0, callIndexes: [] } as never);
    await s.flush(id);
    assert.deepEqual(await rows(), [`${a.seq}:a`, `${late.seq}:b`]);
    // redriven under the lease: running again, its new steps wait for its next end
    await s.updateRun(id, { status: 'running', finishedAt: null });
    const c = s.append(id, { type: 'step.finished', step: 'c', node: 'n3', agent: 'A', status: 'succeeded', output: 3, durationMs: 3, attempts: 1, tokens: 0, callIndexes: [] });
    await s.flush(id);
    assert.deepEqual(await rows(), [`${a.seq}:a`, `${late.seq}:b`]);
    await s.updateRun(id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    assert.deepEqual(await rows(), [`${a.seq}:a`, `${late.seq}:b`, `${c.seq}:c`]);
    await s.close();
  });

  it(`a long run's rows are written every ${STEP_ROWS_BATCH} steps, so its end writes at most that many; its stats are whole all along`, async () => {
    const file = freshFile();
    const s = SqliteRunStore.open(file);
    const window = { tenant: 'acme', from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const { id } = await s.createRun({ flow: 'Long', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'acme' });
    assert.ok(await s.claimLease(id, 'worker-1', 60_000));
    const count = () => raw(file, (db) => (db.get('SELECT count(*) AS n, max(seq) AS last FROM run_steps WHERE run_id = ?', [id]) as { n: number; last: number | null }));
    const steps = STEP_ROWS_BATCH + 7;
    let batchEnd = 0;
    for (let i = 0; i < steps; i++) {
      s.append(id, { type: 'step.started', step: `s${i}`, node: 'n', agent: 'A', target: 'agent' });
      const done = s.append(id, { type: 'step.finished', step: `s${i}`, node: 'n', agent: 'A', status: 'succeeded', output: i, durationMs: 1, attempts: 1, tokens: 1, callIndexes: [] });
      if (i === STEP_ROWS_BATCH - 1) batchEnd = done.seq;
      if (i % 50 === 49 || i === steps - 1) await s.flush(id);
    }
    assert.deepEqual(await count(), { n: STEP_ROWS_BATCH, last: batchEnd }, 'the first batch written while the run runs');
    assert.equal((await s.runStats!(window)).steps[0].count, steps, 'the running run counted whole: the rows of its batch are not counted twice');
    await s.updateRun(id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    assert.equal((await count()).n, steps, 'the end writes the rest');
    assert.equal((await s.runStats!(window)).steps[0].count, steps);
    await s.close();
  });
});
