import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRun, warmUpDefinition, warmUpExecutor } from '../../packages/runtime/src/index.js';
import { compile, tempStore } from './helpers.js';

/** The flow {@link warmUpDefinition} builds by hand, as its docstring writes it. */
const WARM_UP_FLOW = `
agent Warm {
  model: "openai/warm-up"
  output: { ok: boolean }
  stub: { ok: true }
}
flow WarmUp {
  input n: number = 0
  step a: Warm
  step b: Warm
  step c: Warm
}
`;

/** `value` without its source ranges and files (a hand-built definition has none of the compiler's). */
function withoutRanges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRanges);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'range' && key !== 'files').map(([key, v]) => [key, withoutRanges(v)]));
}

describe('the executor warm-up of baton serve', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-warm-up-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the same definition the compiler makes of its flow', async () => {
    const compiled = await compile(WARM_UP_FLOW);
    const built = warmUpDefinition();
    assert.deepEqual(withoutRanges(built.flows), withoutRanges(compiled.flows));
    assert.deepEqual(withoutRanges(built.agents), withoutRanges(compiled.agents));
  });

  it('executes its runs to success with the stub agents on a private store, then removes it', async () => {
    const report = await warmUpExecutor({ runs: 40, concurrency: 8, budgetMs: 600_000, dir });
    assert.equal(report.runs, 40);
    assert.equal(report.succeeded, 40);
    assert.ok(report.ms > 0);
    // the private store's folder is gone: nothing of the warm-up is left on disk
    assert.deepEqual(readdirSync(dir), []);
    // what a start and a step commit prepared, handed over for the real store
    assert.ok(report.statements.some((sql) => sql.startsWith('INSERT INTO runs')), report.statements.join('\n'));
  });

  it('stops starting runs when its time budget is spent, after one burst at least', async () => {
    const report = await warmUpExecutor({ runs: 96, concurrency: 8, budgetMs: 0, dir });
    assert.equal(report.runs, 16);
    assert.equal(report.succeeded, 16);
  });

  it('prepares its statements on the real store, which stays without a run', async () => {
    const report = await warmUpExecutor({ runs: 16, concurrency: 4, budgetMs: 600_000, dir });
    const t = tempStore();
    try {
      const store = t.store.database;
      const before = store.statements.texts().length;
      store.statements.prepareAll([...report.statements, 'SELECT nothing FROM no_such_table']);
      const kept = store.statements.texts();
      for (const sql of report.statements) assert.ok(kept.includes(sql), sql);
      // a text this store cannot prepare is left to its first use, not kept
      assert.ok(!kept.includes('SELECT nothing FROM no_such_table'));
      assert.ok(kept.length > before);
      assert.deepEqual(store.listRuns(), []);
      // the prepared statements are the ones a run then uses: it runs as before
      const run = await startRun(warmUpDefinition(), 'WarmUp', { n: 1 }, { store: t.store });
      assert.equal(run.status, 'succeeded');
    } finally {
      t.cleanup();
    }
  });
});
