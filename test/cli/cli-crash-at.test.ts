import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace } from './cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest, testServices } from '../cluster/test-services.js';

const TWENTY = ['agent W { stub: "ok" }', 'flow Twenty {', ...Array.from({ length: 20 }, (_, i) => `  step s${i + 1}: W { prompt: "do ${i + 1}" }`), '}', ''].join('\n');
const MIXED = `agent W { stub: "ok" }
flow Mixed {
  step a: W { prompt: "a" }
  parallel {
    step b: W { prompt: "b" }
    step c: W { prompt: "c" }
  }
  foreach x in ["p", "q", "r"] {
    step load: W { prompt: "load \${x}" }
  }
  step z: W { prompt: "z" }
}
`;

// On SQLite the crashed run is kept in a temporary file (the default) or the file --store / BATON_STORE names; on
// PostgreSQL in a database of this suite's own (--store postgres://… or BATON_STORE), dropped after it.
for (const kind of STORE_KINDS) {
  describe(`baton test --crash-at (kill -9 mid-run, resume, every step exactly once) (${kind.name})`, function () {
    this.timeout(300_000);
    let ws: ReturnType<typeof tempWorkspace>;
    /** The store named to the crash tests: none on SQLite (a temporary file), the database's URL on PostgreSQL. */
    let storeArgs: string[] = [];
    /** A store to name in BATON_STORE: a file on SQLite, the database's URL (no password: PGPASSWORD) on PostgreSQL. */
    let namedStore: string;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_crash', { scope: 'suite' }) : undefined;
    before(() => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.dir, 'twenty.flow'), TWENTY);
      writeFileSync(path.join(ws.dir, 'mixed.flow'), MIXED);
      namedStore = database?.storeUrl ?? path.join(ws.dir, 'kept.db');
      if (database) storeArgs = ['--store', namedStore];
    });
    after(() => {
      ws.cleanup();
    });

    // every step on SQLite; on PostgreSQL the first, a middle and the last (each crash test starts three processes)
    const crashSteps = kind.name === 'SQLite' ? Array.from({ length: 20 }, (_, i) => i + 1) : [1, 10, 20];
    it(`a 20-step flow survives a SIGKILL at ${crashSteps.length === 20 ? 'every one of its steps' : `its steps ${crashSteps.map((i) => `s${i}`).join(', ')}`}: ${crashSteps.length}/${crashSteps.length} resumed runs complete, each step finished once`, async () => {
      const survived: string[] = [];
      for (const i of crashSteps) {
        const r = await batonAsync(['test', 'twenty.flow', '--crash-at', `s${i}`, ...storeArgs, '--json'], { cwd: ws.dir });
        const report = JSON.parse(r.stdout) as { crashed: boolean; status: string; steps: Record<string, number>; passed: boolean; problem?: string };
        assert.equal(r.code, 0, `s${i}: ${report.problem}`);
        assert.equal(report.crashed, true);
        assert.equal(report.status, 'succeeded');
        assert.deepEqual(Object.values(report.steps), Array(20).fill(1), `s${i}: every step finished exactly once`);
        survived.push(`s${i}`);
      }
      assert.equal(survived.length, crashSteps.length);
    });

    it('inside parallel branches and a foreach item too; says so in one line', async () => {
      for (const step of ['b', 'c', 'load[1]']) {
        const r = await batonAsync(['test', 'mixed.flow', '--crash-at', step, ...storeArgs], { cwd: ws.dir });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout.trim(), new RegExp(`^✓ mixed\\.flow · Mixed: killed \\(SIGKILL\\) at step ${step.replace(/[[\]]/g, '\\$&')}, resumed run [0-9A-Z]{26} → succeeded; 7 steps, each finished exactly once$`));
      }
    });

    it('a step the flow never reaches fails the crash test (exit 1) and says so; a second file is a usage error (exit 2)', async () => {
      const r = await batonAsync(['test', 'mixed.flow', '--crash-at', 'nope', ...storeArgs], { cwd: ws.dir });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /crash at step nope: the run never reached step nope/);
      const two = await batonAsync(['test', 'mixed.flow', 'twenty.flow', '--crash-at', 'a'], { cwd: ws.dir });
      assert.equal(two.code, 2);
      assert.equal(two.stderr.trim(), 'baton: --crash-at runs one flow: give one .flow file');
    });

    it('in a shell set up for a cluster (BATON_STORE, BATON_QUEUE), the crashed run stays out of its store (a note says so) and in the one --store names; the queue never takes the resume', async () => {
      type Report = { runId: string; crashed: boolean; status: string; steps: Record<string, number>; problem?: string };
      // the store and the queue in the environment (the queue: the test Redis)
      const env = { BATON_STORE: namedStore, BATON_QUEUE: testServices().redisUrl };
      const plain = await batonAsync(['test', 'mixed.flow', '--crash-at', 'load[1]', '--json'], { cwd: ws.dir, env });
      const kept = JSON.parse(plain.stdout) as Report;
      assert.equal(plain.code, 0, `${kept.problem} ${plain.stderr}`);
      assert.equal(plain.stderr.trim(), 'note: baton test does not use BATON_STORE: its runs are kept in a private temporary store (give --store to keep them in a store)');
      const absent = await batonAsync(['runs', 'show', kept.runId], { cwd: ws.dir, env: { BATON_STORE: namedStore } });
      assert.equal(absent.code, 2, 'the crashed run is not in the store BATON_STORE names');
      assert.match(absent.stderr, /no run with id/);

      const r = await batonAsync(['test', 'mixed.flow', '--crash-at', 'load[1]', '--store', namedStore, '--json'], { cwd: ws.dir, env });
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(r.code, 0, `${report.problem} ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.deepEqual([report.crashed, report.status], [true, 'succeeded']);
      assert.deepEqual(Object.values(report.steps), Array(7).fill(1));
      // the run is the named store's (not a temporary file's), resumed there to its end
      const shown = await batonAsync(['runs', 'show', report.runId, '--json'], { cwd: ws.dir, env: { BATON_STORE: namedStore } });
      assert.equal(shown.code, 0, shown.stderr);
      const { run, events } = JSON.parse(shown.stdout) as { run: { status: string }; events: { type: string; seq: number }[] };
      assert.equal(run.status, 'succeeded');
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
      assert.equal(events.filter((e) => e.type === 'run.resumed').length, 1, 'resumed once, by the crash test');
    });
  });
}
