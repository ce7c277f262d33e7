import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace, type CrashReport } from './cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest } from '../cluster/test-services.js';

/** A region cancelled from inside after two compensable steps, with an `on cancel` and a step after it. */
const REGION = `agent W { stub: "ok" }
flow Order {
  output state: string
  region fulfil {
    step reserve: W { prompt: "reserve", compensate: W { prompt: "release" } }
    step charge: W { prompt: "charge", compensate: W { prompt: "refund" } }
    cancel fulfil
  } on cancel {
    step tell: W { prompt: "tell" }
  }
  set output.state = fulfil.status
  step after: W { prompt: "after" }
}
`;


for (const kind of STORE_KINDS) {
  describe(`baton test --crash-at in the middle of a region's cancellation (kill -9, resume) (${kind.name})`, function () {
    this.timeout(300_000);
    let ws: ReturnType<typeof tempWorkspace>;
    let store: string;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_crash_regions', { scope: 'suite' }) : undefined;
    before(() => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.dir, 'order.flow'), REGION);
      store = database?.storeUrl ?? path.join(ws.dir, 'kept.db');
    });
    after(() => ws.cleanup());

    for (const at of ['charge', 'undo reserve', 'tell']) {
      it(`killed at ${at}: the resumed run cancels once, compensates each step once, runs on cancel and goes on — as without the kill`, async () => {
        const r = await batonAsync(['test', 'order.flow', '--crash-at', at, '--store', store, '--json'], { cwd: ws.dir });
        const report = JSON.parse(r.stdout) as CrashReport;
        assert.equal(r.code, 0, `${report.problem} ${r.stderr}`);
        assert.deepEqual([report.crashed, report.status], [true, 'succeeded']);
        assert.deepEqual(report.steps, { reserve: 1, charge: 1, tell: 1, after: 1 }, 'each step finished once');
        const shown = await batonAsync(['runs', 'show', report.runId, '--json', '--store', store], { cwd: ws.dir });
        assert.equal(shown.code, 0, shown.stderr);
        const { run, events } = JSON.parse(shown.stdout) as { run: { outputs: Record<string, unknown> }; events: { type: string; step?: string; status?: string }[] };
        assert.deepEqual(run.outputs, { state: 'cancelled' });
        assert.equal(events.filter((e) => e.type === 'region.cancelled').length, 1, 'the region is cancelled once');
        const undone = events.filter((e) => e.type === 'compensation.finished').map((e) => `${e.step}:${e.status}`);
        assert.deepEqual(undone, ['charge:succeeded', 'reserve:succeeded'], 'each compensation finished once, newest completion first');
        const finished = new Set<string>();
        for (const e of events) {
          if (e.type === 'compensation.finished') finished.add(`undo ${e.step}`);
          if (e.type === 'compensation.started') assert.ok(!finished.has(`undo ${e.step}`), `the compensation of ${e.step} started again after it finished`);
        }
        const text = await batonAsync(['runs', 'show', report.runId, '--store', store], { cwd: ws.dir, env: { NO_COLOR: '1' } });
        assert.match(text.stdout, /region fulfil: cancelled by cancel fulfil \(line 7\) \(2 compensations\)/);
      });
    }
  });
}
