import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { baton, tempWorkspace, type CrashReport } from './cli-helper.js';

// A repeat that carries state from one iteration to the next; the stub answers page n (by call index) with count n+1.
const LOOP = `agent Fetcher {
  output: { count: number, id: string, last: boolean }
  stub: [{ count: 1, id: "a", last: false }, { count: 2, id: "b", last: false }, { count: 3, id: "c", last: false }, { count: 4, id: "d", last: true }]
}
flow Pages {
  output total: number
  output ids: string[]
  var total = 0
  var ids: string[] = []
  repeat max 10 {
    step page: Fetcher { prompt: "page after \${total}" }
    set total = total + page.output.count
    set ids = ids + [page.output.id]
  } until page.output.last
  set output.total = total
  set output.ids = ids
}
test "the loop carries its state" {
  flow: Pages
  expect: total == 10 && ids == ["a", "b", "c", "d"] && output.total == 10
}
`;

const DEEP = `flow Count {
  input n: number
  output total: number
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.total = 0
  }
}
`;

function outputsOf(file: string, runId: string): Promise<Record<string, unknown>> {
  const store = SqliteRunStore.open(file);
  return store.getRun(runId).then(
    (run) => {
      store.database.close();
      return run.outputs;
    },
    (error: unknown) => {
      store.database.close();
      throw error;
    },
  );
}

describe('baton CLI: loop-carried state (var / set)', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'loop.flow'), LOOP);
  });
  after(() => ws.cleanup());

  it('baton test: the test block reads the top-level vars after the run', () => {
    const r = baton(['test', 'loop.flow'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ the loop carries its state/);
  });

  for (const at of ['page[1]', 'page[2]']) {
    it(`killed (SIGKILL) at ${at}, in the middle of the repeat, and resumed: the same outputs as an uninterrupted run, no finished step called again`, async () => {
      const plain = baton(['run', 'loop.flow', '--store', 'plain.db', '--json'], { cwd: ws.dir });
      assert.equal(plain.code, 0, plain.stderr);
      const plainEnd = plain.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent).find((e) => e.type === 'run.succeeded');
      assert.deepEqual(plainEnd?.type === 'run.succeeded' && plainEnd.outputs, { total: 10, ids: ['a', 'b', 'c', 'd'] });

      const crash = baton(['test', 'loop.flow', '--crash-at', at, '--store', 'crash.db', '--json'], { cwd: ws.dir });
      const report = JSON.parse(crash.stdout) as CrashReport;
      assert.equal(crash.code, 0, report.problem);
      assert.equal(report.crashed, true);
      assert.equal(report.status, 'succeeded');
      assert.deepEqual(report.steps, { 'page[0]': 1, 'page[1]': 1, 'page[2]': 1, 'page[3]': 1 });
      assert.deepEqual(await outputsOf(path.join(ws.dir, 'crash.db'), report.runId), { total: 10, ids: ['a', 'b', 'c', 'd'] });
    });
  }
});

describe('baton CLI: a milestone (wait until) killed and resumed', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => (ws = tempWorkspace()));
  after(() => ws.cleanup());

  // examples/patterns/wcp-18-milestone.flow (the workspace has a copy of examples/)
  for (const at of ['pack', 'change']) {
    it(`killed (SIGKILL) at ${at} — ${at === 'pack' ? 'while the other branch waits on the condition' : 'after the condition was met'} — and resumed: each step once, the branch read the state that met it`, async () => {
      const r = baton(['test', 'examples/patterns/wcp-18-milestone.flow', '--flow', 'Delivery', '--input', 'order=A-1', '--crash-at', at, '--store', `m-${at}.db`, '--json'], { cwd: ws.dir });
      const report = JSON.parse(r.stdout) as CrashReport;
      assert.equal(r.code, 0, report.problem);
      assert.equal(report.crashed, true);
      // the shipping branch then waits an hour (a long timer): the run waits for it, the milestone branch is done
      assert.equal(report.status, 'waiting');
      assert.deepEqual(report.steps, { pack: 1, change: 1 });
      assert.deepEqual(await outputsOf(path.join(ws.dir, `m-${at}.db`), report.runId), { changed_while: 'packed' });
    });
  }
});

describe('baton CLI: limits.maxFlowDepth in baton.config.json', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'deep.flow'), DEEP);
  });
  afterEach(() => ws.cleanup());

  it('baton run stops a recursion at the configured depth, naming the setting', () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ limits: { maxFlowDepth: 3 } }));
    const ok = baton(['run', 'deep.flow', '--input', 'n=3', '--store', 'r.db'], { cwd: ws.dir });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const deep = baton(['run', 'deep.flow', '--input', 'n=4', '--store', 'r.db'], { cwd: ws.dir });
    assert.equal(deep.code, 1);
    assert.match(deep.stdout, /FLOW_DEPTH_EXCEEDED: step next would call flow Count at sub-flow depth 4, deeper than the limit of 3 \(limits\.maxFlowDepth in baton\.config\.json\)/);
  });

  it('a bound out of range is refused before anything runs: one line naming the field, exit 2', () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ limits: { maxFlowDepth: 5000 } }));
    const r = baton(['run', 'deep.flow', '--input', 'n=1', '--store', 'r.db'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.trim(), /^baton: .*baton\.config\.json: limits\.maxFlowDepth must be <= 1000$/);
  });
});
