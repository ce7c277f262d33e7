import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { RunStore, SqliteRunStore, type BatonError } from '@baton/runtime';
import { compile, lockReleased, run, tempStore } from './helpers.js';

const sqlitePath = createRequire(import.meta.url).resolve('node-sqlite3-wasm');

/**
 * Another process holding the store: it opens the database with node-sqlite3-wasm, takes the write lock
 * (BEGIN IMMEDIATE, as a store's write does) and keeps it until its stdin ends, or for `releaseAfterMs`.
 * Resolves once the lock is held.
 */
async function holdStore(file: string, releaseAfterMs?: number): Promise<{ child: ChildProcess; release: () => Promise<void> }> {
  const script = `
    const { Database } = require(${JSON.stringify(sqlitePath)});
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    db.exec("INSERT INTO meta (key, value) VALUES ('holder', 'x') ON CONFLICT(key) DO UPDATE SET value = 'y'");
    process.stdout.write('held\\n');
    const done = () => { db.exec('COMMIT'); db.close(); process.exit(0); };
    ${releaseAfterMs === undefined ? "process.stdin.on('end', done); process.stdin.resume();" : `setTimeout(done, ${releaseAfterMs});`}
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before holding the lock`)));
  });
  return {
    child,
    release: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

const FLOW = `
agent A {
  output: { ok: boolean }
  stub: { ok: true }
}
flow F {
  step one: A { prompt: "go" }
  step two: A { prompt: "again" }
}`;

describe('runtime: one store, several processes (SQLite only: the file lock, its owner file and node-sqlite3-wasm\'s journal — the PostgreSQL store has none; its concurrent writers are in test/store/conformance.ts)', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('a write that finds the store held by another process waits for it, then commits (the busy statement is not reused)', async () => {
    const def = await compile(FLOW);
    const { summary } = await run(def, 'F', {}, { store: t.store });
    await lockReleased(t.file);
    const before = t.store.database.getEvents(summary.runId).length;
    // the other process keeps the lock for a while after we start waiting: several tries come back busy
    const holder = await holdStore(t.file, 300);
    t.store.database.append(summary.runId, { type: 'cancel.requested', by: 'waiting writer' });
    t.store.database.flush();
    await holder.release();
    const reader = RunStore.open(t.file);
    try {
      const events = reader.getEvents(summary.runId);
      assert.equal(events.length, before + 1);
      assert.deepEqual([events.at(-1)?.type, (events.at(-1) as { by?: string }).by], ['cancel.requested', 'waiting writer']);
    } finally {
      reader.close();
    }
    // and the store keeps working: the statements that failed were prepared again
    t.store.database.append(summary.runId, { type: 'cancel.requested', by: 'later' });
    t.store.database.flush();
    assert.equal(t.store.database.getEvents(summary.runId).length, before + 2);
  });

  it('two stores of one process on one file: the one that waits gets the lock from the idle one at once (no wait on a timer its wait blocks)', async () => {
    const def = await compile(FLOW);
    const { summary } = await run(def, 'F', {}, { store: t.store });
    // t.store has just written: it keeps the lock for a burst, released by a timer that cannot fire while
    // another store of this thread waits synchronously
    t.store.database.append(summary.runId, { type: 'cancel.requested', by: 'first' });
    t.store.database.flush();
    const second = RunStore.open(t.file, { busyTimeoutMs: 1_000 });
    try {
      second.append(summary.runId, { type: 'cancel.requested', by: 'second' });
      second.flush();
      assert.deepEqual(second.getEvents(summary.runId).slice(-2).map((e) => (e as { by?: string }).by), ['first', 'second']);
    } finally {
      second.close();
    }
    t.store.database.append(summary.runId, { type: 'cancel.requested', by: 'third' });
    t.store.database.flush();
    assert.equal((t.store.database.getEvents(summary.runId).at(-1) as { by?: string }).by, 'third');
  });

  it('a handle that kept the lock since its last commit asks nothing of the stored log before the next (no epoch, no log end); once another handle wrote, it looks again and goes after what that one appended', async () => {
    const store = t.store.database;
    const id = store.createRun({ flow: 'F', inputs: {}, definition: await compile(FLOW), startedAt: new Date().toISOString() });
    assert.ok(store.claimLease(id, 'executor', 60_000));
    const lookUps: string[] = [];
    const use = store.statements.use.bind(store.statements);
    store.statements.use = ((sql: string, body: never) => {
      if (/^SELECT (MAX\(seq\)|epoch) /.test(sql)) lookUps.push(sql);
      return use(sql, body);
    }) as typeof store.statements.use;
    const step = (i: number): void => {
      store.append(id, { type: 'step.started', node: `s${i}`, step: `s${i}`, attempt: 1 } as never);
      store.flush(id);
    };
    for (let i = 0; i < 5; i++) step(i);
    // the first commit after the claim checks the epoch and the log's end once; the four after it, in the same hold, nothing
    assert.deepEqual(lookUps, ['SELECT epoch FROM runs WHERE id = ?', 'SELECT MAX(seq) AS seq FROM events WHERE run_id = ?']);
    const other = RunStore.open(t.file, { busyTimeoutMs: 1_000 });
    try {
      other.requestCancel(id, 'operator'); // takes the lock from the first handle (same thread: it lets go at once)
    } finally {
      other.close();
    }
    step(5);
    assert.equal(lookUps.length, 4, 'the commit after another handle wrote looks again');
    const events = store.getEvents(id);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'one gap-free log');
    assert.deepEqual(events.slice(-2).map((e) => e.type), ['cancel.requested', 'step.started']);
  });

  it('a write that gives up (STORE_BUSY) keeps its events buffered and never names itself the lock owner', async () => {
    const def = await compile(FLOW);
    const { summary } = await run(def, 'F', {}, { store: t.store });
    await lockReleased(t.file);
    const store = RunStore.open(t.file, { busyTimeoutMs: 200 });
    store.append(summary.runId, { type: 'cancel.requested', by: 'impatient' });
    const holder = await holdStore(t.file);
    try {
      assert.throws(() => store.flush(), (e: BatonError) => e.code === 'STORE_BUSY' && /stayed in use by other processes/.test(e.message));
      // an owner file naming a process that does not hold the lock would let a third process, once this one
      // has exited, take the holder's live lock for a dead one and remove it
      assert.equal(existsSync(`${t.file}.owner`), false, 'no owner file while another process holds the lock');
    } finally {
      await holder.release();
    }
    store.flush(); // the buffered event was kept
    store.close();
    const events = t.reopen().database.getEvents(summary.runId);
    assert.equal(events.at(-1)?.type, 'cancel.requested');
    assert.equal(existsSync(`${t.file}.lock`) || existsSync(`${t.file}.owner`), false, 'no lock files left');
  });

  it('while it holds the store for a burst of writes, the owner file names this process', async () => {
    const def = await compile(FLOW);
    await lockReleased(t.file);
    const store = RunStore.open(t.file, { busyTimeoutMs: 2_000 });
    try {
      store.createRun({ flow: 'F', inputs: {}, definition: def, startedAt: new Date().toISOString() });
      assert.deepEqual(JSON.parse(readFileSync(`${t.file}.owner`, 'utf8')), { pid: process.pid, host: hostname() });
    } finally {
      store.close();
    }
    assert.equal(existsSync(`${t.file}.lock`) || existsSync(`${t.file}.owner`), false, 'close removes the lock and the owner file');
  });

  it('a breaker killed while breaking a lock does not block the store forever', async () => {
    t.store.database.close();
    const dead = JSON.stringify({ pid: 2 ** 22 + 4321, host: hostname() });
    mkdirSync(`${t.file}.lock`);
    writeFileSync(`${t.file}.owner`, dead);
    writeFileSync(`${t.file}.breaking`, dead);
    const store = RunStore.open(t.file, { busyTimeoutMs: 2_000 });
    try {
      const { summary } = await run(await compile(FLOW), 'F', {}, { store: new SqliteRunStore(store) });
      assert.equal(summary.status, 'succeeded');
    } finally {
      store.close();
    }
    assert.deepEqual(['lock', 'owner', 'breaking'].filter((s) => existsSync(`${t.file}.${s}`)), []);
  });

  it('a commit killed halfway is rolled back when the store is next used (node-sqlite3-wasm never rolls a hot journal back)', async () => {
    const def = await compile(FLOW);
    const { summary } = await run(def, 'F', {}, { store: t.store });
    t.store.database.close();
    const before = { run: t.reopen().database.getRun(summary.runId), events: t.reopen().database.getEvents(summary.runId) };
    // a writer (naming itself, as a store's writer does) that is killed while its transaction has written
    // pages to the database file: a small page cache makes SQLite spill them before the commit
    const script = `
      const { Database } = require(${JSON.stringify(sqlitePath)});
      const fs = require('node:fs');
      const db = new Database(${JSON.stringify(t.file)});
      db.exec('PRAGMA cache_size = 2; BEGIN IMMEDIATE');
      fs.writeFileSync(${JSON.stringify(`${t.file}.owner`)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname() }));
      db.exec("UPDATE runs SET status = 'failed'; DELETE FROM events; INSERT INTO meta (key, value) VALUES ('junk', hex(randomblob(400000)))");
      process.kill(process.pid, 'SIGKILL');
    `;
    await new Promise<void>((resolve) => spawn(process.execPath, ['-e', script], { stdio: 'inherit' }).on('exit', () => resolve()));
    assert.ok(existsSync(`${t.file}.lock`), 'the killed writer left its lock');
    const store = RunStore.open(t.file, { busyTimeoutMs: 5_000 });
    try {
      assert.deepEqual({ run: store.getRun(summary.runId), events: store.getEvents(summary.runId) }, before);
    } finally {
      store.close();
    }
    const { Database } = (await import('node-sqlite3-wasm')).default;
    const db = new Database(t.file, { readOnly: true });
    try {
      assert.deepEqual(db.get('PRAGMA integrity_check'), { integrity_check: 'ok' });
      assert.deepEqual(db.get("SELECT COUNT(*) AS n FROM meta WHERE key = 'junk'"), { n: 0 });
    } finally {
      db.close();
    }
  });
});
