import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace, type CrashReport } from './cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest } from '../cluster/test-services.js';

/** A cancelling partial join whose third branch is still waiting when the join is reached, then a step after it. */
const JOIN = `agent W { stub: "ok" }
flow Join {
  parallel first 2 {
    step a: W { prompt: "a" }
    step b: W { prompt: "b" }
    branch {
      wait 2h
      step c: W { prompt: "c" }
    }
  }
  step after: W { prompt: "after" }
}
`;


for (const kind of STORE_KINDS) {
  describe(`baton test --crash-at in the middle of a partial join (kill -9, resume) (${kind.name})`, function () {
    this.timeout(300_000);
    let ws: ReturnType<typeof tempWorkspace>;
    let store: string;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_crash_joins', { scope: 'suite' }) : undefined;
    before(() => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.dir, 'join.flow'), JOIN);
      store = database?.storeUrl ?? path.join(ws.dir, 'kept.db');
    });
    after(() => ws.cleanup());

    for (const step of ['b', 'after']) {
      it(`killed at step ${step}${step === 'after' ? ' (the join reached and stored)' : ' (the join not reached yet)'}: the resumed run withdraws the same branch, decides once, repeats no finished step`, async () => {
        const r = await batonAsync(['test', 'join.flow', '--crash-at', step, '--store', store, '--json'], { cwd: ws.dir });
        const report = JSON.parse(r.stdout) as CrashReport;
        assert.equal(r.code, 0, `${report.problem} ${r.stderr}`);
        assert.deepEqual([report.crashed, report.status], [true, 'succeeded']);
        assert.deepEqual(report.steps, { a: 1, b: 1, after: 1 }, 'each finished step once; c never ran');
        const shown = await batonAsync(['runs', 'show', report.runId, '--json', '--store', store], { cwd: ws.dir });
        assert.equal(shown.code, 0, shown.stderr);
        const { events } = JSON.parse(shown.stdout) as { events: { type: string; step?: string; counted?: number[]; withdrawn?: number[] }[] };
        const joins = events.filter((e) => e.type === 'join.reached');
        assert.equal(joins.length, 1, 'the join is decided once');
        assert.deepEqual(joins[0].withdrawn, [2]);
        assert.deepEqual([...(joins[0].counted ?? [])].sort(), [0, 1]);
        assert.ok(!events.some((e) => e.step === 'c'), 'the withdrawn branch never started its step');
        // no step starts again once it finished (one killed mid-call, or whose end was not stored yet, may)
        const finished = new Set<string>();
        for (const e of events) {
          if (e.type === 'step.finished') finished.add(e.step!);
          if (e.type === 'step.started') assert.ok(!finished.has(e.step!), `step ${e.step} started again after it finished`);
        }
      });
    }
  });
}
