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
