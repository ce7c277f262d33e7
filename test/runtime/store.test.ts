import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { TestDef } from '@baton/protocol';
import { RunStore, runTests, SCHEMA_VERSION, SqliteRunStore, type BatonError } from '../../packages/runtime/src/index.js';
import { compile, lockReleased, run, tempStore } from './helpers.js';

const FLOW = `
agent Worker { instructions: "x" output: { n: number } stub: { n: 1 } }
flow A {
  output n: number
  step w: Worker { prompt: "go" }
  set output.n = w.output.n
}
flow B {
  step w: Worker { prompt: "go" }
  fail "B always fails"
}
test "A gives one" {
  flow: A
  expect: output.n == 1 && w.status == "succeeded"
}
test "A with a stubbed worker" {
  flow: A
  stub Worker: { n: 5 }
  expect: output.n == 5
}
test "this expectation is wrong" {
  flow: A
  expect: output.n == 2
}
test "B fails as designed" {
  flow: B
  expect: status == "failed"
}`;

describe('runtime: run store', () => {
  let t: ReturnType<typeof tempStore>;
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  it('refuses a file that is not a database and leaves it byte for byte as it was', () => {
    const file = path.join(t.dir, 'notes.db');
    const content = 'my important notes\n'.repeat(50);
    writeFileSync(file, content);
    assert.throws(() => RunStore.open(file), (e: BatonError) => e.code === 'STORE_NOT_A_DATABASE' && e.message.includes('notes.db'));
    assert.equal(readFileSync(file, 'utf8'), content);
  });

  it('creates its folder, gives run ids that sort by start time, and lists runs by status and flow', async () => {
    const store = SqliteRunStore.open(path.join(t.dir, 'nested', 'deeper', 'runs.db'));
    try {
      const def = await compile(FLOW);
      const ids: string[] = [];
      for (const flow of ['A', 'B', 'A', 'B']) {
        ids.push((await run(def, flow, {}, { store })).summary.runId);
        await new Promise((r) => setTimeout(r, 2)); // distinct milliseconds
      }
      assert.deepEqual([...ids].sort(), ids, 'ids sort in start order');
      assert.ok(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)), 'ULIDs');
      assert.deepEqual((await store.listRuns()).map((r) => r.id), [...ids].reverse(), 'newest first');
      assert.deepEqual((await store.listRuns({ status: 'failed' })).map((r) => r.flow), ['B', 'B']);
      assert.deepEqual((await store.listRuns({ flow: 'A', limit: 1 })).map((r) => r.id), [ids[2]]);
      const a = await store.getRun(ids[0]);
      assert.equal(a.status, 'succeeded');
      assert.deepEqual(a.outputs, { n: 1 });
      assert.ok(a.finishedAt && a.finishedAt >= a.startedAt);
      assert.equal((await store.getRun(ids[1])).error?.message, 'B always fails');
      // a unique prefix finds a run; an unknown id is RUN_NOT_FOUND
      assert.equal((await store.getRun(ids[3].slice(0, 20))).id, ids[3]);
      await assert.rejects(store.getRun('01ZZZZZZZZZZZZZZZZZZZZZZZZ'), (e: BatonError) => e.code === 'RUN_NOT_FOUND');
    } finally {
      await store.close();
    }
  });

  it("a run's startedAt and finishedAt are its first and closing events' times, even when the clock moves between them", async () => {
    const def = await compile(FLOW);
    let tick = Date.parse('2026-03-01T10:00:00.000Z');
    const now = () => new Date((tick += 7)); // every reading 7 ms later
    for (const [flow, status] of [['A', 'succeeded'], ['B', 'failed']] as const) {
      const { summary, events } = await run(def, flow, {}, { store: t.store, now });
      const stored = await t.store.getRun(summary.runId);
      assert.equal(stored.status, status);
      assert.equal(stored.startedAt, events[0].time);
      assert.equal(stored.finishedAt, events.at(-1)!.time, `${flow}: finishedAt is the ${events.at(-1)!.type} event's time`);
    }
  });

  it('keeps each run as an append-only log with increasing seq, readable after reopening', async () => {
    const def = await compile(FLOW);
    const { summary, events } = await run(def, 'A', {}, { store: t.store });
    await t.store.close();
    const store = t.reopen();
    const stored = await store.getEvents(summary.runId);
    assert.deepEqual(stored, JSON.parse(JSON.stringify(events)), 'what was emitted is what is stored');
    assert.deepEqual(stored.map((e) => e.seq), stored.map((_, i) => i + 1));
    assert.ok(stored.every((e, i) => i === 0 || e.time >= stored[i - 1].time));
  });

  it('events appended through two handles of one store file keep one gap-free sequence per run', async () => {
    const def = await compile(FLOW);
    const { summary } = await run(def, 'A', {}, { store: t.store });
    const n = t.store.database.getEvents(summary.runId).length;
    // this handle numbers an event but has not written it yet ...
    const mine = t.store.database.append(summary.runId, { type: 'cancel.requested', by: 'first handle' });
    assert.equal(mine.seq, n + 1);
    await lockReleased(t.file);
    // ... while another process appends to the same run
    const other = RunStore.open(t.file);
    const theirs = other.append(summary.runId, { type: 'cancel.requested', by: 'second handle' });
    other.flush();
    other.close();
    assert.equal(theirs.seq, n + 1);
    t.store.database.flush();
    assert.equal(mine.seq, n + 2, 'the unwritten event moved after the stored one');
    const log = t.store.database.getEvents(summary.runId);
    assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
    assert.deepEqual(log.slice(-2).map((e) => e.type === 'cancel.requested' && e.by), ['second handle', 'first handle']);
    assert.equal(t.store.database.append(summary.runId, { type: 'cancel.requested' }).seq, n + 3, 'later events follow on');
  });

  it('stores a definition once however many runs use it, and resumes from it', async () => {
    const def = await compile(FLOW);
    for (let i = 0; i < 5; i++) await run(def, 'A', {}, { store: t.store });
    const changed = await compile(FLOW.replace('prompt: "go"', 'prompt: "go now"'));
    await run(changed, 'A', {}, { store: t.store });
    await t.store.close();
    const { Database } = (await import('node-sqlite3-wasm')).default;
    const db = new Database(t.file, { readOnly: true });
    try {
      assert.deepEqual(db.get('SELECT COUNT(*) AS n FROM definitions'), { n: 2 });
      assert.deepEqual(db.get("SELECT COUNT(*) AS n FROM runs WHERE definition LIKE 'sha256:%'"), { n: 6 });
    } finally {
      db.close();
    }
    const store = t.reopen();
    const [latest] = await store.listRuns({ limit: 1 });
    assert.deepEqual(await store.getDefinition(latest.id), JSON.parse(JSON.stringify(changed)));
  });

  it('batch: the starts it makes commit together, or — when it throws — not at all, their events dropped and events buffered before kept', async () => {
    const def = await compile(FLOW);
    const at = new Date().toISOString();
    const earlier = t.store.database.createRun({ flow: 'A', inputs: {}, definition: def, startedAt: at, status: 'queued' });
    t.store.database.append(earlier, { type: 'run.started', flow: 'A', inputs: {} });
    assert.throws(
      () =>
        t.store.database.batch(() => {
          const id = t.store.database.createRun({ flow: 'A', inputs: {}, definition: def, startedAt: at, status: 'queued' });
          t.store.database.append(id, { type: 'run.started', flow: 'A', inputs: {} });
          t.store.database.flush();
          throw new Error('refused halfway');
        }),
      /refused halfway/,
    );
    assert.deepEqual(t.store.database.listRuns({ limit: 10 }).map((r) => r.id), [earlier], 'nothing of the failed batch is stored');
    const ids = t.store.database.batch(() =>
      [1, 2, 3].map(() => {
        const id = t.store.database.createRun({ flow: 'A', inputs: {}, definition: def, startedAt: at, status: 'queued' });
        t.store.database.append(id, { type: 'run.started', flow: 'A', inputs: {} });
        t.store.database.flush();
        t.store.database.append(id, { type: 'run.resumed', flow: 'A' });
        t.store.database.flush();
        return id;
      }),
    );
    const reopened = t.reopen().database;
    assert.deepEqual(reopened.getEvents(earlier).map((e) => [e.seq, e.type]), [[1, 'run.started']], 'the event buffered before the failed batch is kept, and stored with the next commit');
    for (const id of ids) assert.deepEqual(reopened.getEvents(id).map((e) => [e.seq, e.type]), [[1, 'run.started'], [2, 'run.resumed']], 'each event written once');
  });

  it('a store holding the lock for a burst lets go after its commit while a store of another thread waits (lockWaiters)', async () => {
    const def = await compile(FLOW);
    const waiters = new Int32Array(new SharedArrayBuffer(4));
    t.store.database.close();
    const store = RunStore.open(t.file, { lockWaiters: waiters });
    const write = (): void => void store.createRun({ flow: 'A', inputs: {}, definition: def, startedAt: new Date().toISOString() });
    try {
      write();
      assert.ok(existsSync(`${t.file}.lock`), 'held across commits while nobody waits');
      Atomics.store(waiters, 0, 1); // another thread waits for the lock
      write();
      assert.ok(!existsSync(`${t.file}.lock`), 'released right after the commit');
      Atomics.store(waiters, 0, 0);
      const holdless = RunStore.open(`${t.file}-2`, { holdLock: false });
      holdless.createRun({ flow: 'A', inputs: {}, definition: def, startedAt: new Date().toISOString() });
      assert.ok(!existsSync(`${t.file}-2.lock`), 'holdLock: false keeps no lock after a commit');
      holdless.close();
    } finally {
      store.close();
    }
  });

  it("breakLockOfDeadThread frees a lock its own process's dead thread left — named by its pid, or ownerless and old — and never another process's or a fresh read's", () => {
    const lockDir = `${t.file}.lock`;
    const owner = `${t.file}.owner`;
    const leave = (who: { pid: number } | undefined, ageMs: number): void => {
      mkdirSync(lockDir);
      if (who) writeFileSync(owner, JSON.stringify({ pid: who.pid, host: hostname() }));
      const at = new Date(Date.now() - ageMs);
      utimesSync(lockDir, at, at);
    };
    const clear = (): void => {
      rmSync(lockDir, { recursive: true, force: true });
      rmSync(owner, { force: true });
    };
    leave({ pid: process.pid }, 0);
    assert.equal(t.store.database.breakLockOfDeadThread(), true, 'named by this process: its dead thread held it');
    assert.ok(!existsSync(lockDir) && !existsSync(owner));
    leave({ pid: 1 }, 60_000);
    assert.equal(t.store.database.breakLockOfDeadThread(), false, "another live process's lock is left alone");
    clear();
    leave(undefined, 0);
    assert.equal(t.store.database.breakLockOfDeadThread(), false, 'an ownerless lock taken just now is a read going on');
    clear();
    leave(undefined, 5_000);
    assert.equal(t.store.database.breakLockOfDeadThread(), true, 'an ownerless lock older than a read lives is the dead thread\'s');
    assert.ok(!existsSync(lockDir));
  });

  it('a schema-1 store gets the agents column when opened: its runs read without agents, new runs keep theirs', async () => {
    const def = await compile(FLOW);
    const { summary: old } = await run(def, 'A', {}, { store: t.store });
    await t.store.close();
    const { Database } = (await import('node-sqlite3-wasm')).default;
    const db = new Database(t.file);
    try {
      // what a schema-1 build wrote: no agents column, schema 1
      db.exec("ALTER TABLE runs DROP COLUMN agents; UPDATE meta SET value = '1' WHERE key = 'schema'");
    } finally {
      db.close();
    }
    const store = t.reopen();
    assert.equal((await store.getRun(old.runId)).agents, undefined);
    const { summary } = await run(def, 'A', {}, { store, runAgents: { mode: 'real', config: { path: '/p/baton.config.json', sha256: 'ab' } } });
    assert.deepEqual((await store.getRun(summary.runId)).agents, { mode: 'real', config: { path: '/p/baton.config.json', sha256: 'ab' } });
    assert.deepEqual((await store.listRuns({ limit: 2 })).map((r) => r.agents?.mode), ['real', undefined]);
    await store.close();
    const check = new Database(t.file, { readOnly: true });
    try {
      assert.deepEqual(check.get("SELECT value FROM meta WHERE key = 'schema'"), { value: String(SCHEMA_VERSION) });
    } finally {
      check.close();
    }
  });

  it('recovers a lock left behind by a process that no longer exists', async () => {
    t.store.database.close();
    // what a killed process leaves: the lock directory and an owner file naming a dead pid
    mkdirSync(`${t.file}.lock`);
    writeFileSync(`${t.file}.owner`, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    const store = SqliteRunStore.open(t.file, { busyTimeoutMs: 2000 });
    try {
      const def = await compile(FLOW);
      const { summary } = await run(def, 'A', {}, { store });
      assert.equal(summary.status, 'succeeded');
    } finally {
      await store.close();
    }
  });

  it('says STORE_BUSY (not a hang) when a live process holds the store', async () => {
    t.store.close();
    mkdirSync(`${t.file}.lock`);
    writeFileSync(`${t.file}.owner`, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }));
    const started = Date.now();
    assert.throws(() => RunStore.open(t.file, { busyTimeoutMs: 300 }), (e: BatonError) => e.code === 'STORE_BUSY');
    assert.ok(Date.now() - started < 5000);
  });
});

describe('runtime: test runner', () => {
  it('runs test blocks offline with their stubs and reports each expectation', async () => {
    const def = await compile(FLOW);
    const results = await runTests(def, def.tests as TestDef[]);
    assert.deepEqual(results.map((r) => [r.name, r.passed]), [
      ['A gives one', true],
      ['A with a stubbed worker', true],
      ['this expectation is wrong', false],
      ['B fails as designed', true],
    ]);
    const wrong = results[2];
    assert.equal(wrong.message, 'expected output.n == 2 (output.n is 1); the run succeeded');
  });

  it('names the first false part of an `&&` expect, with its range and the value its left side read', async () => {
    const def = await compile(`agent A { stub: { n: 1, tags: ["x"] } output: { n: number, tags: string[] } }
flow F {
  output n: number
  step s: A
  set output.n = s.output.n
}
test "third part fails" {
  flow: F
  expect: status == "succeeded" && s.output.n == 1 && len(s.output.tags) > 3 && output.n == 5
}
test "a part that cannot be evaluated" {
  flow: F
  expect: s.status == "succeeded" && len(s.output.n) == 1
}`);
    const [third, broken] = await runTests(def, def.tests as TestDef[]);
    assert.equal(third.passed, false);
    assert.equal(third.message, 'expected len(s.output.tags) > 3 (len(s.output.tags) is 1); the run succeeded');
    assert.deepEqual(third.failedExpectation, {
      text: 'len(s.output.tags) > 3',
      range: { file: third.range.file, start: { line: 9, column: 55 }, end: { line: 9, column: 77 } },
      actual: { text: 'len(s.output.tags)', value: 1 },
    });
    assert.deepEqual([third.range.start, third.range.end], [{ line: 7, column: 1 }, { line: 10, column: 2 }]);
    assert.equal(broken.passed, false);
    assert.equal(broken.failedExpectation?.text, 'len(s.output.n) == 1');
    assert.match(broken.message ?? '', /^expect could not be evaluated: len\(s\.output\.n\) == 1: .+; the run succeeded$/);
  });

  it('reports why a test failed: the run status and error, or an expect that cannot be evaluated', async () => {
    const def = await compile(`
agent Worker { instructions: "x" output: { n: number } stub: [error("worker down")] }
flow A {
  output n: number
  step w: Worker { prompt: "go" }
  set output.n = w.output.n
}
flow W {
  approval ok { prompt: "ok?" }
}
test "A succeeds" {
  flow: A
  expect: status == "succeeded"
}
test "W waits for a person" {
  flow: W
  expect: status == "waiting" && ok.status == "waiting"
}
test "A with a working worker" {
  flow: A
  stub Worker: { n: 3 }
  expect: output.n == 3 && w.attempts == 1
}`);
    const store = SqliteRunStore.open(':memory:');
    try {
      const results = await runTests(def, def.tests as TestDef[], { store });
      assert.deepEqual(results.map((r) => [r.name, r.passed, r.status]), [
        ['A succeeds', false, 'failed'],
        ['W waits for a person', true, 'waiting'],
        ['A with a working worker', true, 'succeeded'],
      ]);
      assert.equal(results[0].message, 'expected status == "succeeded"; the run failed (STUB_ERROR: step w failed: worker down)');
      assert.equal((await store.listRuns()).length, 3, 'the given store keeps the test runs');
    } finally {
      await store.close();
    }
  });
});
