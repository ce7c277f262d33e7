import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { NewRunEvent } from '../../packages/protocol/src/index.js';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { batonAsync, tempWorkspace } from './cli-helper.js';

// `baton audit` reads the store a page (1,000 events) at a time and hands each run's events on together: runs whose
// events straddle page boundaries are verified and exported whole, in order, and a change on either side of a
// boundary is named.
describe('baton audit over several pages of events (SQLite)', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('three runs of 700 events (2,100: three pages, runs cut by the pages) verify clean, export every line in order, and a change at a page edge is named', async () => {
    const file = path.join(ws.dir, 'many.db');
    const store = SqliteRunStore.open(file);
    const ids: string[] = [];
    for (let r = 0; r < 3; r++) {
      const { id } = await store.createRun({ flow: 'F', inputs: { r }, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
      for (let i = 0; i < 700; i++) store.append(id, { type: 'step.started', step: `s${i}`, node: `n${i}` } as NewRunEvent);
      await store.flush(id);
      ids.push(id);
    }
    await store.close();
    const cli = (args: string[]) => batonAsync([...args, '--store', file], { cwd: ws.dir });
    const clean = await cli(['audit', 'verify']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal(clean.stdout.trim(), '3 runs, 2100 events: every chain is whole.');
    const out = path.join(ws.dir, 'all.jsonl');
    assert.equal((await cli(['audit', 'export', '--out', out])).code, 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { runId: string; seq: number });
    assert.deepEqual(lines.map((l) => `${l.runId}:${l.seq}`), ids.flatMap((id) => Array.from({ length: 700 }, (_, i) => `${id}:${i + 1}`)));
    // the 1,000th and 1,001st events read: the second run's seqs 300 and 301
    const db = new sqlite.Database(file);
    db.run("UPDATE events SET data = replace(data, 's299', 'sX') WHERE run_id = ? AND seq = 300", [ids[1]]);
    db.run("UPDATE events SET data = replace(data, 's300', 'sY') WHERE run_id = ? AND seq = 301", [ids[1]]);
    db.close();
    const tampered = await cli(['audit', 'verify']);
    assert.equal(tampered.code, 1);
    assert.deepEqual(tampered.stdout.trim().split('\n').slice(0, -1).map((l) => l.replace(/ — .*/, '')), [`run ${ids[1]} seq 300: changed`, `run ${ids[1]} seq 301: changed`]);
  });
});
