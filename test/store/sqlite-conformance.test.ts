import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { RunStore, SCHEMA_VERSION, SqliteRunStore, verifyRunChain, type BatonError } from '../../packages/runtime/src/index.js';
import { runStoreConformance } from './conformance.js';

/** Reads the store file with a connection of its own (no handle may hold it: they are closed or idle). */
function readRaw<T>(file: string, body: (db: InstanceType<typeof sqlite.Database>) => T): T {
  const db = new sqlite.Database(file);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** {@link readRaw}, waiting (without blocking the handles' release timers) while a handle of this process holds the file. */
async function readRawAsync<T>(file: string, body: (db: InstanceType<typeof sqlite.Database>) => T): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return readRaw(file, body);
    } catch (error) {
      if (!/busy|locked/i.test(String(error)) || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let dirs: string[] = [];
runStoreConformance('SQLite', {
  async fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-conf-'));
    dirs.push(dir);
    const file = path.join(dir, 'runs.db');
    return {
      handle: async () => SqliteRunStore.open(file),
      definitionCount: () => readRawAsync(file, (db) => (db.get('SELECT count(*) AS n FROM definitions') as { n: number }).n),
    };
  },
  async cleanup() {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  },
});

describe('SQLite store: schemas 3 to 6 (tenants and leases, start keys per tenant, kept events, locks)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-schema-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a schema-2 store gets the tenant and lease columns when opened: its runs read as tenant default and can be leased', async () => {
    const file = path.join(dir, 'old.db');
    const db = new sqlite.Database(file);
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema', '2');
      CREATE TABLE runs (id TEXT PRIMARY KEY, flow TEXT NOT NULL, file TEXT, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        inputs TEXT NOT NULL, outputs TEXT NOT NULL DEFAULT '{}', error TEXT, waiting_on TEXT NOT NULL DEFAULT '[]',
        cancel_requested INTEGER NOT NULL DEFAULT 0, definition TEXT NOT NULL, agents TEXT);
      INSERT INTO runs (id, flow, status, started_at, inputs, definition) VALUES ('01OLDRUN0000000000000000AA', 'F', 'waiting', '2026-01-01T00:00:00.000Z', '{}', '{}');
    `);
    db.close();
    const store = SqliteRunStore.open(file);
    try {
      const run = await store.getRun('01OLDRUN');
      assert.equal(run.tenant, 'default');
      assert.equal(run.status, 'waiting');
      const lease = await store.claimLease(run.id, 'w', 1000);
      assert.equal(lease?.epoch, 1);
      assert.deepEqual((await store.listRuns({ tenant: 'default' })).map((r) => r.id), [run.id]);
    } finally {
      await store.close();
    }
    assert.equal(readRaw(file, (raw) => (raw.get("SELECT value FROM meta WHERE key = 'schema'") as { value: string }).value), String(SCHEMA_VERSION));
    assert.equal(SCHEMA_VERSION, 8);
    // the upgraded store has the kept broadcasts' table (schema 5)
    assert.deepEqual(readRaw(file, (raw) => raw.all("SELECT name FROM sqlite_master WHERE name = 'kept_events'")), [{ name: 'kept_events' }]);
  });

  it('a schema-3 store\'s start keys become tenant default\'s when opened: the key still answers its run there, and is new to another tenant', async () => {
    const file = path.join(dir, 'v3.db');
    RunStore.open(file).close();
    // a store as schema 3 left it: start keys without a tenant
    readRaw(file, (raw) => {
      raw.exec(`DROP TABLE start_keys;
        CREATE TABLE start_keys (scope TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
        INSERT INTO runs (id, flow, status, started_at, inputs, definition) VALUES ('01OLDRUN0000000000000000AA', 'F', 'succeeded', '2026-01-01T00:00:00.000Z', '{}', '{}');
        INSERT INTO start_keys VALUES ('/hook', 'k-1', '01OLDRUN0000000000000000AA');
        UPDATE meta SET value = '3' WHERE key = 'schema';`);
    });
    const store = SqliteRunStore.open(file);
    try {
      const init = { flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() };
      assert.deepEqual(await store.createRun(init, { scope: '/hook', key: 'k-1' }), { id: '01OLDRUN0000000000000000AA', duplicate: true });
      const acme = await store.createRun({ ...init, tenant: 'acme' }, { scope: '/hook', key: 'k-1' });
      assert.equal(acme.duplicate, false);
      assert.equal((await store.getRun(acme.id)).tenant, 'acme');
    } finally {
      await store.close();
    }
    assert.equal(readRaw(file, (raw) => (raw.get("SELECT value FROM meta WHERE key = 'schema'") as { value: string }).value), String(SCHEMA_VERSION));
  });

  it('a schema-5 store gets the locks table when opened: its runs can take locks', async () => {
    const file = path.join(dir, 'v5.db');
    RunStore.open(file).close();
    readRaw(file, (raw) => raw.exec("DROP TABLE locks; UPDATE meta SET value = '5' WHERE key = 'schema';"));
    const store = SqliteRunStore.open(file);
    try {
      const { id } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
      assert.deepEqual(await store.acquireLock({ name: 'x', runId: id, key: 'k', node: 'n' }), { state: 'held', now: true });
    } finally {
      await store.close();
    }
    assert.equal(readRaw(file, (raw) => (raw.get("SELECT value FROM meta WHERE key = 'schema'") as { value: string }).value), String(SCHEMA_VERSION));
  });

  it('a store of a newer schema is refused (STORE_TOO_NEW) and left as it was', () => {
    const file = path.join(dir, 'new.db');
    RunStore.open(file).close();
    const newer = String(SCHEMA_VERSION + 1);
    readRaw(file, (raw) => raw.run(`UPDATE meta SET value = '${newer}' WHERE key = 'schema'`));
    assert.throws(() => RunStore.open(file), (e: BatonError) => e.code === 'STORE_TOO_NEW' && e.message.includes(`schema ${newer}`));
    assert.equal(readRaw(file, (raw) => (raw.get("SELECT value FROM meta WHERE key = 'schema'") as { value: string }).value), newer);
  });

  it('a new store is created in one transaction: a creation that fails halfway leaves no schema version, so the next open creates every table (another process never sees the version without its tables)', async () => {
    const file = path.join(dir, 'half.db');
    // a stray table of the wrong shape makes schema 8's index on sla_breaches fail, after most tables were created
    readRaw(file, (raw) => raw.exec('CREATE TABLE sla_breaches (x)'));
    assert.throws(() => RunStore.open(file), /tenant/);
    assert.equal(readRaw(file, (raw) => raw.get("SELECT name FROM sqlite_master WHERE name IN ('meta', 'runs', 'definition_sources')")), null);
    readRaw(file, (raw) => raw.exec('DROP TABLE sla_breaches'));
    const store = SqliteRunStore.open(file);
    try {
      const { id } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
      assert.deepEqual((await store.getDefinitionSources!(id)).sources, []);
    } finally {
      await store.close();
    }
  });

  it('definitions and source texts (bound as UTF-8 bytes) are stored as TEXT and read back equal, non-ASCII included', async () => {
    const file = path.join(dir, 'texts.db');
    const text = 'flow F {\n  // é ✓ 🙂 — ünïcode\n}\n';
    const definition = { name: 'F', note: 'é ✓ 🙂 \\ "quoted"', steps: Array.from({ length: 200 }, (_, i) => `s${i} ✓`) } as never;
    const other = { name: 'G', note: '日本語' } as never;
    const store = SqliteRunStore.open(file);
    try {
      const { id } = await store.createRun({ flow: 'F', inputs: {}, definition, sources: [{ file: '/x/f.flow', text }], startedAt: new Date().toISOString() });
      await store.putDefinition(other, [{ file: '/x/g.flow', text: `${text}// 日本語\n` }]);
      assert.deepEqual(await store.getDefinition(id), definition);
      assert.deepEqual((await store.getDefinitionSources!(id)).sources, [{ file: '/x/f.flow', text }]);
    } finally {
      await store.close();
    }
    const stored = readRaw(file, (raw) => ({ bodies: raw.all('SELECT typeof(body) AS type, body FROM definitions ORDER BY body'), texts: raw.all('SELECT typeof(text) AS type, text FROM sources ORDER BY text') }));
    assert.deepEqual(stored.bodies.map((r) => r.type), ['text', 'text']);
    assert.deepEqual(stored.bodies.map((r) => JSON.parse(r.body as string)), [definition, other]);
    assert.deepEqual(stored.texts, [{ type: 'text', text }, { type: 'text', text: `${text}// 日本語\n` }]);
  });

  it('events (run id, time, payload and hashes bound as UTF-8 bytes) are stored as TEXT, read back equal, non-ASCII included, and their chain verifies', async () => {
    const file = path.join(dir, 'events.db');
    const store = SqliteRunStore.open(file);
    let runId = '';
    const decided = { type: 'approval.decided', task: 'ok', decision: 'approve', comment: 'é ✓ 🙂 — 日本語 "quoted" \\' } as const;
    try {
      ({ id: runId } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() }));
      store.append(runId, { type: 'run.started', flow: 'F', inputs: { note: 'ünïcode' } } as never);
      store.append(runId, decided as never);
      await store.flush(runId);
      const events = await store.getEvents(runId);
      assert.deepEqual(events.map((e) => e.seq), [1, 2]);
      assert.equal((events[1] as unknown as { comment: string }).comment, decided.comment);
      assert.deepEqual(verifyRunChain(runId, await store.readChain!(undefined, 10, [runId])), []);
    } finally {
      await store.close();
    }
    const rows = readRaw(file, (raw) => raw.all('SELECT typeof(run_id) AS r, typeof(time) AS t, typeof(data) AS d, typeof(prev_hash) AS p, typeof(hash) AS h, run_id, prev_hash FROM events ORDER BY seq'));
    assert.deepEqual(rows.map((r) => [r.r, r.t, r.d, r.p, r.h]), [['text', 'text', 'text', 'null', 'text'], ['text', 'text', 'text', 'text', 'text']]);
    assert.equal(rows[0].run_id, runId);
  });

  it('a batch refused for a lost lease takes back exactly the events it appended, and keeps those buffered before it', async () => {
    const file = path.join(dir, 'batch.db');
    const a = RunStore.open(file);
    const b = RunStore.open(file);
    try {
      const init = { flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() };
      const x = a.createRun(init);
      const y = a.createRun(init);
      const z = a.createRun(init);
      assert.ok(a.claimLease(y, 'a', 1));
      // a's 1 ms lease expires; b takes the run over
      while (!b.claimLease(y, 'b', 60_000)) await new Promise((resolve) => setTimeout(resolve, 1));
      const kept = a.append(z, { type: 'cancel.requested', by: 'before the batch' });
      a.append(y, { type: 'cancel.requested', by: 'stale holder' });
      assert.throws(
        () =>
          a.batch(() => {
            a.append(x, { type: 'cancel.requested', by: 'inside the batch' });
            a.flush();
          }),
        (e: BatonError) => e.code === 'LEASE_LOST',
      );
      assert.deepEqual(a.getEvents(x), [], "the batch's own event is taken back");
      assert.deepEqual(a.getEvents(z), [kept], 'an event buffered before the batch stays');
      a.flush();
      assert.deepEqual(b.getEvents(x), []);
      assert.deepEqual(b.getEvents(z).map((e) => e.seq), [1]);
      assert.deepEqual(b.getEvents(y), [], "the stale holder's event is not written");
    } finally {
      a.close();
      b.close();
    }
  });
});
