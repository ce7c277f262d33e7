import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import sqlite from 'node-sqlite3-wasm';
import pg from 'pg';
import { canonicalJson, SqliteRunStore, eventHash, verifyRunChain, type ChainRow, type RunStoreApi } from '../../packages/runtime/src/index.js';
import type { NewRunEvent } from '../../packages/protocol/src/index.js';
import { POSTGRES, STORE_KINDS } from './both-stores.js';
import { UNDO_MIGRATION_7 } from './pg-downgrade.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'chain-writer.ts');

/** Every stored event of `runId` with its links, through the store's keyset pages (small ones: the paging is read too). */
async function chainOf(store: RunStoreApi, runId: string): Promise<ChainRow[]> {
  const rows: ChainRow[] = [];
  let after: { runId: string; seq: number } | undefined;
  for (;;) {
    const page = await store.readChain!(after, 7, [runId]);
    rows.push(...page);
    if (page.length < 7) return rows;
    after = { runId, seq: page[page.length - 1].seq };
  }
}

describe('the audit chain: canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, writes numbers and strings as ECMAScript does, no whitespace', () => {
    // RFC 8785 §3.2.3's sorting example and §3.2.2's number forms
    assert.equal(canonicalJson({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\u{1f600}': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' }),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","\u{1f600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
    assert.equal(canonicalJson({ numbers: [Number('333333333.33333329'), 1e30, 4.5, 0.002, 1e-27, -0], b: [true, null, 'x\u000f'] }), '{"b":[true,null,"x\\u000f"],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27,0]}');
  });

  it('a value hashes the same before it is stored and as read back (JSON.stringify then JSON.parse)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false, withBigInt: false, withDate: true, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false, withBoxedValues: false }), (value) => {
        const stored = JSON.stringify(value);
        if (stored === undefined) return;
        assert.equal(canonicalJson(value), canonicalJson(JSON.parse(stored)));
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('writes what the plain map/join form of the scheme writes (kept here as the reference), and hashes as stored chains were', () => {
    /** The first form of canonicalJson (its Object.keys().sort() and map/join), which stored chains were hashed with. */
    const reference = (value: unknown): string | undefined => {
      if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON: () => unknown }).toJSON();
      if (value === null) return 'null';
      if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
      if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
      if (typeof value !== 'object') return undefined;
      if (Array.isArray(value)) return `[${value.map((item) => reference(item) ?? 'null').join(',')}]`;
      const members: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const member = reference((value as Record<string, unknown>)[key]);
        if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
      }
      return `{${members.join(',')}}`;
    };
    const many = fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.integer(), { minKeys: 17, maxKeys: 40 });
    fc.assert(
      fc.property(fc.oneof(fc.anything({ withNullPrototype: false, withBigInt: false, withDate: true, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false, withBoxedValues: false }), many), (value) => {
        assert.equal(canonicalJson(value), reference(value) ?? 'null');
      }),
      { numRuns: 500, seed: 15 },
    );
    // a step.finished as the store hashes it, with the hash the first form gave (PostgreSQL's time text: the same instant)
    const event = { runId: '01JABCDEFGHJKMNPQRSTVWXYZ0', seq: 7, type: 'step.finished', time: '2026-12-05T13:44:10.123Z', prev: 'ab'.repeat(32), data: { type: 'step.finished', node: 's6', step: 's6', status: 'succeeded', output: { text: 'é "q" \n', score: 1, list: [1, null, { z: 1, a: [] }], when: new Date(0) }, attempts: 1, tokens: { output: 20, input: 10 }, skip: undefined } };
    assert.equal(eventHash(event), '805260bfe0c00b6264f04067c7b3227f63565eaae2504a251ae4dc8131d7cd2d');
    assert.equal(eventHash({ ...event, time: '2026-12-05 13:44:10.123+00' }), '805260bfe0c00b6264f04067c7b3227f63565eaae2504a251ae4dc8131d7cd2d');
    assert.equal(eventHash({ ...event, time: 'not a time' }), eventHash({ ...event, time: 'not a time' }));
    assert.notEqual(eventHash({ ...event, time: 'not a time' }), eventHash(event));
  });

  it('the hash covers every field: another run id, seq, type, time, payload or link gives another hash', () => {
    const base = { runId: 'r', seq: 2, type: 'step.finished', time: '2026-01-01T00:00:00.000Z', data: { a: 1 }, prev: 'p' };
    const hash = eventHash(base);
    assert.match(hash, /^[0-9a-f]{64}$/);
    for (const changed of [{ runId: 's' }, { seq: 3 }, { type: 'step.failed' }, { time: '2026-01-01T00:00:00.001Z' }, { data: { a: 2 } }, { prev: null }]) {
      assert.notEqual(eventHash({ ...base, ...changed }), hash, JSON.stringify(changed));
    }
    assert.equal(eventHash({ ...base, data: { a: 1, b: undefined } }), hash);
  });

  it('verify names a swap of two events by the seqs they were appended at, and a clean chain has no problem', () => {
    const rows: ChainRow[] = [];
    let prev: string | null = null;
    for (let seq = 1; seq <= 5; seq++) {
      const row: ChainRow = { runId: 'r', seq, type: 't', time: 'x', data: { seq }, prev, hash: '' };
      row.hash = eventHash(row);
      rows.push(row);
      prev = row.hash;
    }
    assert.deepEqual(verifyRunChain('r', rows), []);
    const swapped = [rows[0], { ...rows[2], seq: 2 }, { ...rows[1], seq: 3 }, rows[3], rows[4]];
    assert.deepEqual(verifyRunChain('r', swapped).map((p) => [p.seq, p.kind, p.writtenAs]), [[2, 'reordered', 3], [3, 'reordered', 2]]);
  });
});

for (const kind of STORE_KINDS) {
  describe(`the audit chain under concurrent appenders (${kind.name})`, function () {
    this.timeout(120_000);

    it('the executor flushing step by step while three processes ask the run to stop, all at once, leave one whole chain', async () => {
      const fresh = await kind.fresh();
      try {
        const store = await fresh.open();
        const { id } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString(), started: { type: 'run.started', flow: 'F', inputs: {} } as NewRunEvent });
        // each writer opens the store, says "ready", and appends once told "go" (all at once, not as each one starts)
        const roles = [['exec', 'x'], ['cancel', 'a'], ['cancel', 'b'], ['cancel', 'c']];
        const children = roles.map(([mode, tag]) => spawn(process.execPath, ['--import', 'tsx', WRITER, fresh.location, id, '25', mode, tag], { stdio: ['pipe', 'pipe', 'pipe'] }));
        const outputs = children.map(() => '');
        const ready = children.map(
          (child, i) =>
            new Promise<void>((resolve, reject) => {
              child.stdout!.on('data', (c: Buffer) => {
                outputs[i] += c.toString();
                if (outputs[i].includes('ready')) resolve();
              });
              child.stderr!.on('data', (c: Buffer) => (outputs[i] += c.toString()));
              child.on('close', (code) => reject(new Error(`writer ${i} exited ${code} before it was ready: ${outputs[i]}`)));
            }),
        );
        const writers = children.map(
          (child, i) =>
            new Promise<string>((resolve, reject) => {
              child.on('error', reject);
              child.on('close', (code) => (code === 0 ? resolve(outputs[i]) : reject(new Error(`writer ${i} exited ${code}: ${outputs[i]}`))));
            }),
        );
        await Promise.all(ready);
        for (const child of children) child.stdin!.end('go\n');
        for (const out of await Promise.all(writers)) assert.match(out, /done/);
        const rows = await chainOf(store, id);
        assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 101 }, (_, i) => i + 1));
        // the writers' events interleaved (else the test did not test concurrency)
        const tags = rows.slice(1).map((r) => (r.type === 'step.started' ? 'x' : (r.data as { by: string }).by[0]));
        assert.ok(tags.some((t, i) => i > 0 && t !== tags[i - 1] && tags.slice(i + 1).includes(tags[i - 1])), tags.join(''));
        assert.deepEqual(verifyRunChain(id, rows), []);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

describe('the audit chain: a SQLite store of schema 6 upgraded', () => {
  it('gets the chain columns when opened, its stored events chained as they were: it verifies clean, and a change after the upgrade is found', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-chain-'));
    const file = path.join(dir, 'runs.db');
    try {
      const ids: string[] = [];
      let store = SqliteRunStore.open(file);
      for (let r = 0; r < 3; r++) {
        const { id } = await store.createRun({ flow: 'F', inputs: { r }, definition: { name: 'F' } as never, startedAt: new Date().toISOString(), started: { type: 'run.started', flow: 'F', inputs: { r } } as NewRunEvent });
        for (let i = 0; i < 4; i++) store.append(id, { type: 'step.started', step: `s${i}`, node: `n${i}` } as NewRunEvent);
        await store.flush(id);
        ids.push(id);
      }
      await store.close();
      // the store as schema 6 left it: events without the chain's columns
      const raw = new sqlite.Database(file);
      raw.exec("ALTER TABLE events DROP COLUMN prev_hash; ALTER TABLE events DROP COLUMN hash; UPDATE meta SET value = '6' WHERE key = 'schema';");
      raw.close();
      store = SqliteRunStore.open(file);
      for (const id of ids) {
        const rows = await chainOf(store, id);
        assert.equal(rows.length, 5);
        assert.ok(rows.every((r) => r.hash !== null));
        assert.deepEqual(verifyRunChain(id, rows), []);
      }
      // appending after the upgrade continues the chain
      store.append(ids[1], { type: 'step.started', step: 'late', node: 'n9' } as NewRunEvent);
      await store.flush(ids[1]);
      assert.deepEqual(verifyRunChain(ids[1], await chainOf(store, ids[1])), []);
      await store.close();
      const tamper = new sqlite.Database(file);
      tamper.run("UPDATE events SET data = replace(data, 's2', 'sX') WHERE run_id = ? AND seq = 4", [ids[2]]);
      tamper.close();
      store = SqliteRunStore.open(file);
      assert.deepEqual(verifyRunChain(ids[2], await chainOf(store, ids[2])).map((p) => [p.seq, p.kind]), [[4, 'changed']]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the audit chain: a PostgreSQL store of migration 5 upgraded', function () {
  this.timeout(60_000);

  it('migration 6 adds the chain columns and chains the events stored before: they verify clean, later ones continue the chain', async () => {
    const fresh = await POSTGRES.fresh();
    try {
      const [, url, schema] = /^(\S+) \(schema ([a-z0-9_]+)\)$/.exec(fresh.location)!;
      let store = await fresh.open();
      const ids: string[] = [];
      for (let r = 0; r < 3; r++) {
        const { id } = await store.createRun({ flow: 'F', inputs: { r }, definition: { name: 'F' } as never, startedAt: new Date().toISOString(), started: { type: 'run.started', flow: 'F', inputs: { r } } as NewRunEvent });
        await store.getEvents(id);
        for (let i = 0; i < 4; i++) store.append(id, { type: 'step.started', step: `s${i}`, node: `n${i}` } as NewRunEvent);
        await store.flush(id);
        ids.push(id);
      }
      await store.close();
      // the store as migration 5 left it
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`SET search_path TO ${schema}; ${UNDO_MIGRATION_7} ALTER TABLE events DROP COLUMN prev_hash, DROP COLUMN hash; DELETE FROM baton_schema WHERE version = 6`);
      } finally {
        await admin.end();
      }
      store = await fresh.open();
      for (const id of ids) {
        const rows = await chainOf(store, id);
        assert.equal(rows.length, 5);
        assert.ok(rows.every((r) => r.hash !== null));
        assert.deepEqual(verifyRunChain(id, rows), []);
      }
      await store.getEvents(ids[1]);
      store.append(ids[1], { type: 'step.started', step: 'late', node: 'n9' } as NewRunEvent);
      await store.flush(ids[1]);
      const rows = await chainOf(store, ids[1]);
      assert.equal(rows.length, 6);
      assert.deepEqual(verifyRunChain(ids[1], rows), []);
    } finally {
      await fresh.cleanup();
    }
  });
});
