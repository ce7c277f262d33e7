import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';

/**
 * `signal` / `wait signal` through the built bin: a run killed (SIGKILL) after the wait passed is resumed to the
 * same outcome — the passed wait is not waited for again, each step finishes exactly once.
 */

const FLOW = `
agent Worker {
  instructions: "Do the work."
  stub: "done"
}

flow Order {
  parallel {
    branch {
      step check: Worker { prompt: "check" }
      signal stock_ok
    }
    branch {
      step quote: Worker { prompt: "quote" }
      wait signal stock_ok
      step confirm: Worker { prompt: "confirm" }
      step close: Worker { prompt: "close" }
    }
  }
}
`;

describe('cli: signals between branches', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'signals.flow'), FLOW);
  });
  after(() => ws.cleanup());

  it('kill -9 after the wait signal passed, then resume: succeeded, each step finished exactly once', () => {
    for (const step of ['confirm', 'close']) {
      const r = baton(['test', 'signals.flow', '--crash-at', step, '--flow', 'Order'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`killed \\(SIGKILL\\) at step ${step}, resumed run [0-9A-Z]{26} → succeeded; 4 steps, each finished exactly once`));
    }
  });

  it('baton run prints the raise and the wait that passed', () => {
    const r = baton(['run', 'signals.flow', '--store', 'runs.db'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /⚑ signal stock_ok[\s\S]*✓ wait signal stock_ok — raised/);
  });

  it('baton check reports unknown-signal with its place', () => {
    writeFileSync(path.join(ws.dir, 'bad.flow'), FLOW.replace('wait signal stock_ok', 'wait signal stok_ok'));
    const r = baton(['check', 'bad.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /bad\.flow:15:19 - error unknown-signal: no `signal stok_ok` in flow Order/);
  });
});
