import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';

describe('baton run: retries and circuit breakers in the output', function () {
  this.timeout(30_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('shows each retry, the circuit opening, and the step failing fast with CIRCUIT_OPEN', () => {
    writeFileSync(
      path.join(ws.dir, 'flaky.flow'),
      'agent Flaky {\n  stub: [error("down 1"), error("down 2"), error("down 3")]\n  circuit: 2 failures 1m\n}\nflow F {\n  step call: Flaky { retry: 3 backoff 10ms }\n}\n',
    );
    const r = baton(['run', 'flaky.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    assert.ok(lines.some((l) => /^↻ call\s+Flaky\s+attempt 1 failed: down 1/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^⚡ circuit of Flaky open after 2 failures in a row, until \d\d:\d\d:\d\d$/.test(l)), r.stdout);
    assert.match(r.stdout, /CIRCUIT_OPEN/);
    assert.match(r.stdout, /calls fail fast until/);
  });
});

describe('baton runs list --failed and baton runs redrive', function () {
  this.timeout(30_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('lists a failed run with its cause and redrive command; redrive finishes it from the failed step; a second redrive is refused (exit 2)', () => {
    writeFileSync(path.join(ws.dir, 'etl.flow'), 'agent Fetch { stub: "rows" }\nagent Load { stub: [error("warehouse down"), "loaded"] }\nflow Etl {\n  step fetch: Fetch\n  step load: Load\n}\n');
    assert.equal(baton(['run', 'etl.flow'], { cwd: ws.dir }).code, 1);
    const list = baton(['runs', 'list', '--failed'], { cwd: ws.dir });
    assert.equal(list.code, 0);
    const [head, cause, hint, total] = list.stdout.trim().split('\n');
    const id = head.split(/\s+/)[0];
    assert.match(head, /^[0-9A-Z]{26}\s+Etl\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(cause.trim(), 'STUB_ERROR at step load: step load failed: warehouse down');
    assert.equal(hint.trim(), `redrive: baton runs redrive ${id}`);
    assert.equal(total, '1 failed run');
    const json = JSON.parse(baton(['runs', 'list', '--failed', '--json'], { cwd: ws.dir }).stdout) as { id: string; failedStep: string }[];
    assert.deepEqual(json.map((r) => [r.id, r.failedStep]), [[id, 'load']]);

    const redrive = baton(['runs', 'redrive', id], { cwd: ws.dir });
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.match(redrive.stdout, /▶ redriven Etl\s+run \S+ · from the step that failed it/);
    assert.match(redrive.stdout, /✓ load\s+Load/);
    assert.doesNotMatch(redrive.stdout, /fetch/, 'the finished step is not run again');
    assert.equal(baton(['runs', 'list', '--failed'], { cwd: ws.dir }).stdout.trim(), 'No failed runs.');
    const again = baton(['runs', 'redrive', id], { cwd: ws.dir });
    assert.equal(again.code, 2);
    assert.equal(again.stderr.trim(), `baton: run ${id} succeeded; only a failed run can be redriven`);
    assert.equal(baton(['runs', 'list', '--failed', '--status', 'waiting'], { cwd: ws.dir }).code, 2);
  });
});
