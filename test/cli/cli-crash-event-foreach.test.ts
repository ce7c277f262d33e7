import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace } from './cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest } from '../cluster/test-services.js';

/**
 * An event loop whose events are all kept before it opens (the run waits at `start`): the approval's continuation
 * admits the three of them at once and runs their instances side by side — and is killed (SIGKILL) in the middle.
 */
const LOOP = `event "line.added" {
  data: { sku: string, last: boolean }
}
agent Picker { instructions: "Pick the line." stub: "picked" }
agent Packer { instructions: "Pack the line." stub: "packed" }
flow Order {
  output lines: number
  approval start { prompt: "Start picking?" }
  foreach line in event "line.added" timeout 1d until line.data.last {
    step pick: Picker { prompt: "Pick \${line.data.sku}" }
    step pack: Packer { prompt: "Pack \${line.data.sku}" }
  }
  set output.lines = len(pack)
}
`;

interface LoggedEvent {
  type: string;
  step?: string;
  key?: string;
  bufferId?: string;
  data?: { sku?: string };
}

for (const kind of STORE_KINDS) {
  describe(`kill -9 in the middle of a foreach … in event, then resume (${kind.name})`, function () {
    this.timeout(300_000);
    let ws: ReturnType<typeof tempWorkspace>;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_crash_event_loop') : undefined;
    beforeEach(() => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.dir, 'order.flow'), LOOP);
    });
    afterEach(() => ws.cleanup());

    // SQLite: killed as the third instance starts (its admission stored, nothing of it done) and in the middle of the
    // second; PostgreSQL: the second (each case is ~7 processes)
    for (const at of kind.name === 'SQLite' ? ['pick[2]', 'pack[1]'] : ['pack[1]']) {
      it(`killed when ${at} starts: the resumed run has the same instances, no event taken twice or lost, no finished step repeated`, async () => {
        const store = database?.storeUrl ?? path.join(ws.dir, 'runs.db');
        const cli = (args: string[], env?: Record<string, string>) => batonAsync([...args, '--store', store], { cwd: ws.dir, env });
        const started = await cli(['run', 'order.flow', '--json']);
        assert.equal(started.code, 0, started.stderr);
        const runId = (JSON.parse(started.stdout.trim().split('\n')[0]) as { runId: string }).runId;
        for (const sku of ['a', 'b', 'c']) {
          const sent = await cli(['send', runId, 'line.added', '--data', JSON.stringify({ sku, last: false })]);
          assert.equal(sent.code, 0, sent.stderr);
        }
        // the loop opens, admits the three kept events and runs their instances; the process dies at `at`
        const killed = await cli(['approve', runId, 'start'], { BATON_CRASH_AT: at });
        assert.equal(killed.code, -1, `killed by SIGKILL (no exit code): ${killed.stdout}\n${killed.stderr}`);
        const resumed = await cli(['resume', runId]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stdout, /waiting/);
        // a fourth line, sent to the loop that waits again, is the last: its instance ends the loop
        const last = await cli(['send', runId, 'line.added', '--data', JSON.stringify({ sku: 'd', last: true })]);
        assert.equal(last.code, 0, last.stderr);
        assert.match(last.stdout, /starts an instance for it/);
        const shown = await cli(['runs', 'show', runId, '--json']);
        const { run, events } = JSON.parse(shown.stdout) as { run: { status: string; outputs: Record<string, unknown> }; events: LoggedEvent[] };
        assert.deepEqual([run.status, run.outputs], ['succeeded', { lines: 4 }]);
        const admitted = events.filter((e) => e.type === 'event.received');
        assert.deepEqual(admitted.map((e) => `${e.key?.replace(/^.*#/, '#')}:${e.data?.sku}`), ['#0:a', '#1:b', '#2:c', '#3:d'], 'each event admitted once, in arrival order');
        assert.equal(new Set(admitted.map((e) => e.bufferId)).size, 4, 'no kept event taken twice');
        const finished = new Map<string, number>();
        for (const e of events) {
          if (e.type === 'step.started') assert.ok(!finished.has(e.step!), `step ${e.step} started again after it finished`);
          if (e.type === 'step.finished') finished.set(e.step!, (finished.get(e.step!) ?? 0) + 1);
        }
        assert.deepEqual(Object.fromEntries([...finished].sort()), { 'pack[0]': 1, 'pack[1]': 1, 'pack[2]': 1, 'pack[3]': 1, 'pick[0]': 1, 'pick[1]': 1, 'pick[2]': 1, 'pick[3]': 1 });
      });
    }
  });
}
