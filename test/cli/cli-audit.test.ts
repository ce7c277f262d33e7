import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import pg from 'pg';
import { eventHash } from '../../packages/runtime/src/index.js';
import { batonAsync, tempWorkspace, type CliResult } from './cli-helper.js';
import { APPROVAL_FLOW, runIdOf } from './cli-flows.js';
import { databasePerTest } from '../cluster/test-services.js';

// `baton audit verify` and `baton audit export` through the built bin, on both stores: runs are stored, then their
// events are tampered with directly in the database (a payload changed, an event deleted, one inserted, two swapped) —
// the store's own code never does that — and verify must name each (run, seq, what), exit 1; a clean store exits 0.

/** Direct SQL on the store's database (what someone with write access to it can do). */
interface RawDb {
  /** Runs `sql` (`$1`, `$2`… placeholders on both stores). */
  exec(sql: string, values?: (string | number | null)[]): Promise<void>;
  rows<T>(sql: string, values?: (string | number | null)[]): Promise<T[]>;
  /** The SQL text of the `data` column (json on PostgreSQL, TEXT on SQLite). */
  dataText: string;
  /** `data` set from text. */
  dataFrom: string;
  close(): Promise<void>;
}

interface Kind {
  name: 'SQLite' | 'PostgreSQL';
  /** Called inside the suite: `dir()` is the test's workspace. */
  setup(dir: () => string): { store: () => string; raw: () => Promise<RawDb> };
}

const SQLITE: Kind = {
  name: 'SQLite',
  setup(dir) {
    const file = (): string => path.join(dir(), 'audit.db');
    return {
      store: file,
      raw: async () => {
        const db = new sqlite.Database(file());
        const positional = (sql: string): string => sql.replace(/\$(\d+)/g, '?$1');
        return {
          exec: async (sql, values = []) => void db.run(positional(sql), values),
          rows: async <T>(sql: string, values: (string | number | null)[] = []) => db.all(positional(sql), values) as T[],
          dataText: 'data',
          dataFrom: '',
          close: async () => db.close(),
        };
      },
    };
  },
};

const POSTGRES: Kind = {
  name: 'PostgreSQL',
  setup() {
    const database = databasePerTest('baton_audit');
    return {
      store: () => database.storeUrl,
      raw: async () => {
        const client = new pg.Client({ connectionString: database.storeUrl });
        await client.connect();
        return {
          exec: async (sql, values = []) => void (await client.query(sql, values)),
          rows: async <T>(sql: string, values: (string | number | null)[] = []) => (await client.query(sql, values)).rows as T[],
          dataText: 'data::text',
          dataFrom: '::json',
          close: () => client.end(),
        };
      },
    };
  },
};

for (const kind of [SQLITE, POSTGRES]) {
  describe(`baton audit (${kind.name})`, function () {
    this.timeout(120_000);
    let dir = '';
    let cleanup = (): void => undefined;
    beforeEach(() => {
      ({ dir, cleanup } = tempWorkspace());
    });
    afterEach(() => cleanup());
    const { store, raw } = kind.setup(() => dir);
    let runId = '';
    let otherId = '';
    const cli = (args: string[]): Promise<CliResult> => batonAsync([...args, '--store', store()], { cwd: dir });

    /** Two finished runs of the approval flow: run, approve (by "dana"), each ends after 7 or more events. */
    beforeEach(async () => {
      writeFileSync(path.join(dir, 'buy.flow'), APPROVAL_FLOW);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const started = await cli(['run', 'buy.flow', '--json']);
        assert.equal(started.code, 0, started.stderr);
        const id = runIdOf(started.stdout);
        const approved = await cli(['approve', id, 'signoff', '--by', 'dana', '--json']);
        assert.equal(approved.code, 0, approved.stderr);
        ids.push(id);
      }
      [runId, otherId] = ids;
    });

    async function tamper(work: (db: RawDb) => Promise<void>): Promise<void> {
      const db = await raw();
      try {
        await work(db);
      } finally {
        await db.close();
      }
    }
    const seqOf = async (db: RawDb, type: string): Promise<number> => (await db.rows<{ seq: number }>('SELECT seq FROM events WHERE run_id = $1 AND type = $2', [runId, type]))[0].seq;
    const lastSeq = async (db: RawDb): Promise<number> => Number((await db.rows<{ seq: number }>('SELECT MAX(seq) AS seq FROM events WHERE run_id = $1', [runId]))[0].seq);
    /** Moves the run's events with seq ≥ `from` by `by` (through negative seqs: the primary key is checked per row). */
    const shift = async (db: RawDb, from: number, by: number): Promise<void> => {
      await db.exec('UPDATE events SET seq = -(seq + $3) WHERE run_id = $1 AND seq >= $2', [runId, from, by]);
      await db.exec('UPDATE events SET seq = -seq WHERE run_id = $1 AND seq < 0', [runId]);
    };
    const verify = (): Promise<CliResult> => cli(['audit', 'verify']);
    /** verify exits 1 and names exactly `expected` (lines `run <id> seq <n>: <kind>`), nothing of the other run. */
    async function assertNames(expected: string[]): Promise<CliResult> {
      const result = await verify();
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const named = result.stdout
        .split('\n')
        .filter((l) => l.startsWith('run '))
        .map((l) => l.replace(/ — .*/, ''));
      assert.deepEqual(named, expected.map((e) => `run ${runId} ${e}`), result.stdout);
      assert.doesNotMatch(result.stdout, new RegExp(otherId));
      assert.equal(result.stderr, '');
      return result;
    }

    it('a store nobody touched verifies clean (exit 0), the named runs too, and --json says so', async () => {
      const all = await verify();
      assert.equal(all.code, 0, all.stdout + all.stderr);
      assert.match(all.stdout, /^2 runs, \d+ events: every chain is whole\.$/m);
      const one = await cli(['audit', 'verify', runId.slice(0, 12), '--json']);
      assert.equal(one.code, 0, one.stdout + one.stderr);
      const report = JSON.parse(one.stdout) as { ok: boolean; runs: number; events: number; problems: unknown[] };
      assert.deepEqual({ ok: report.ok, runs: report.runs, problems: report.problems }, { ok: true, runs: 1, problems: [] });
      assert.ok(report.events >= 7);
    });

    it('the decision carries who decided it (approve --by)', async () => {
      const exported = await cli(['audit', 'export', runId]);
      const decided = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: { by?: string } }).find((e) => e.type === 'approval.decided');
      assert.equal(decided?.data.by, 'dana');
    });

    it('a cancellation and a redrive carry who did them (--by, else the OS user), and the chain stays whole', async () => {
      const waiting = runIdOf((await cli(['run', 'buy.flow', '--json'])).stdout);
      assert.equal((await cli(['cancel', waiting, '--by', 'carol'])).code, 0);
      writeFileSync(path.join(dir, 'etl.flow'), 'agent Fetch { stub: "rows" }\nagent Load { stub: [error("warehouse down"), "loaded"] }\nflow Etl {\n  step fetch: Fetch\n  step load: Load\n}\n');
      const failed = runIdOf((await cli(['run', 'etl.flow', '--json'])).stdout);
      const redriven = await cli(['runs', 'redrive', failed, '--by', 'erin']);
      assert.equal(redriven.code, 0, redriven.stderr);
      const events = (await cli(['audit', 'export', waiting, failed])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { runId: string; type: string; data: { by?: string; redrive?: boolean } });
      assert.deepEqual(events.filter((e) => e.type === 'cancel.requested').map((e) => [e.runId, e.data.by]), [[waiting, 'carol']]);
      assert.deepEqual(events.filter((e) => e.data.redrive).map((e) => [e.runId, e.data.by]), [[failed, 'erin']]);
      assert.equal((await verify()).code, 0);
    });

    it('a changed payload (a decision turned into a rejection) is named: changed', async () => {
      let seq = 0;
      await tamper(async (db) => {
        seq = await seqOf(db, 'approval.decided');
        await db.exec(`UPDATE events SET data = replace(${db.dataText}, '"approved"', '"rejected"')${db.dataFrom} WHERE run_id = $1 AND seq = $2`, [runId, seq]);
      });
      const result = await assertNames([`seq ${seq}: changed`]);
      assert.match(result.stdout, /its content does not match its hash/);
      assert.match(result.stdout, /^1 problem in 1 run \(of 2 runs, \d+ events checked\)\.$/m);
    });

    it('a changed event whose hash was computed again is named by the link of the event after it', async () => {
      let seq = 0;
      await tamper(async (db) => {
        seq = await seqOf(db, 'approval.decided');
        const [row] = await db.rows<{ type: string; time: string | Date; data: string; prev_hash: string }>(`SELECT type, time, ${db.dataText} AS data, prev_hash FROM events WHERE run_id = $1 AND seq = $2`, [runId, seq]);
        const data = { ...(JSON.parse(row.data) as object), decision: 'rejected' };
        const time = row.time instanceof Date ? row.time.toISOString() : row.time;
        const hash = eventHash({ runId, seq, type: row.type, time, data, prev: row.prev_hash });
        await db.exec(`UPDATE events SET data = $3${db.dataFrom}, hash = $4 WHERE run_id = $1 AND seq = $2`, [runId, seq, JSON.stringify(data), hash]);
      });
      const result = await assertNames([`seq ${seq}: changed`]);
      assert.match(result.stdout, new RegExp(`it was changed and hashed again`));
    });

    it('a deleted event is named: removed', async () => {
      await tamper((db) => db.exec('DELETE FROM events WHERE run_id = $1 AND seq = 3', [runId]));
      await assertNames(['seq 3: removed']);
    });

    it('an inserted event is named: inserted — one without a hash at the end, one with a forged hash in the middle', async () => {
      let last = 0;
      await tamper(async (db) => {
        last = await lastSeq(db);
        const data = JSON.stringify({ type: 'approval.decided', task: 'signoff', node: 'x', decision: 'approved', by: 'mallory' });
        await db.exec(`INSERT INTO events (run_id, seq, type, time, data) VALUES ($1, $2, 'approval.decided', $3, $4${db.dataFrom})`, [runId, last + 1, '2026-01-01T00:00:00.000Z', data]);
      });
      await assertNames([`seq ${last + 1}: inserted`]);
      await tamper(async (db) => {
        await db.exec('DELETE FROM events WHERE run_id = $1 AND seq = $2', [runId, last + 1]);
        await shift(db, 3, 1);
        const [before] = await db.rows<{ hash: string }>('SELECT hash FROM events WHERE run_id = $1 AND seq = 2', [runId]);
        const data = { type: 'approval.decided', task: 'signoff', node: 'x', decision: 'approved', by: 'mallory' };
        const time = '2026-01-01T00:00:00.000Z';
        const hash = eventHash({ runId, seq: 3, type: data.type, time, data, prev: before.hash });
        await db.exec(`INSERT INTO events (run_id, seq, type, time, data, prev_hash, hash) VALUES ($1, 3, $2, $3, $4${db.dataFrom}, $5, $6)`, [runId, data.type, time, JSON.stringify(data), before.hash, hash]);
      });
      const moved = Array.from({ length: last - 2 }, (_, i) => `seq ${i + 4}: reordered`);
      await assertNames(['seq 3: inserted', ...moved]);
    });

    it('two swapped events are named: reordered, each with the seq it was appended at', async () => {
      await tamper(async (db) => {
        await db.exec('UPDATE events SET seq = -1 WHERE run_id = $1 AND seq = 3', [runId]);
        await db.exec('UPDATE events SET seq = 3 WHERE run_id = $1 AND seq = 4', [runId]);
        await db.exec('UPDATE events SET seq = 4 WHERE run_id = $1 AND seq = -1', [runId]);
      });
      const result = await assertNames(['seq 3: reordered', 'seq 4: reordered']);
      assert.match(result.stdout, /seq 3: reordered — it was appended as seq 4/);
      assert.match(result.stdout, /seq 4: reordered — it was appended as seq 3/);
    });

    it('export writes one JSON line per event with its hashes; verify --anchor on it finds the last event removed', async () => {
      const out = path.join(dir, 'audit.jsonl');
      const exported = await cli(['audit', 'export', '--out', out]);
      assert.equal(exported.code, 0, exported.stderr);
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { runId: string; seq: number; prev: string | null; hash: string });
      assert.match(exported.stderr, new RegExp(`^Exported ${lines.length} events to `));
      const mine = lines.filter((l) => l.runId === runId);
      assert.deepEqual(mine.map((l) => l.seq), mine.map((_, i) => i + 1));
      for (let i = 1; i < mine.length; i++) assert.equal(mine[i].prev, mine[i - 1].hash);
      assert.equal(mine[0].prev, null);
      // the tail removed: invisible to the chain alone, found against the exported head
      await tamper((db) => db.exec('DELETE FROM events WHERE run_id = $1 AND seq = $2', [runId, mine.length]));
      assert.equal((await verify()).code, 0);
      const anchored = await cli(['audit', 'verify', '--anchor', out]);
      assert.equal(anchored.code, 1, anchored.stdout);
      assert.match(anchored.stdout, new RegExp(`^run ${runId} seq ${mine.length}: removed — the anchored head \\(seq ${mine.length}\\) is missing`, 'm'));
    });

    it('bad usage: an unknown run, an unreadable anchor, an unwritable --out — exit 2, one line, no stack', async () => {
      for (const args of [
        ['audit', 'verify', 'nosuchrun'],
        ['audit', 'verify', '--anchor', path.join(dir, 'missing.jsonl')],
        ['audit', 'export', '--out', path.join(dir, 'no', 'such', 'dir', 'x.jsonl')],
        ['audit', 'verify', '--bogus'],
      ]) {
        const result = await cli(args);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
        assert.doesNotMatch(result.stderr, /\n\s+at /, result.stderr);
        assert.ok(result.stderr.trim().length > 0);
      }
      assert.equal(existsSync(path.join(dir, 'no')), false);
    });
  });
}
