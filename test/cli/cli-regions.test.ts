import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';

/**
 * Regions, `cancel` and `complete` through the built bin: what `baton run` prints of a cancelled region, a cancelled
 * step and a completed flow; `baton runs show`'s line for the region; `baton check` codes with their places.
 */

const FLOW = `agent W { stub: "ok" }
flow Order {
  output state: string
  region fulfil {
    step reserve: W { prompt: "reserve", compensate: W { prompt: "release" } }
    cancel fulfil
  } on cancel {
    step tell: W { prompt: "tell" }
  }
  parallel {
    step slow: Slow
    branch {
      step check: W { prompt: "check" }
      cancel slow
    }
  }
  set output.state = fulfil.status
  complete
}
flow Slow {
  wait 1d
}
`;

describe('cli: regions, cancel and complete', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'order.flow'), FLOW);
  });
  after(() => ws.cleanup());

  it('baton run prints the cancelled region, the cancelled step and the completed flow; runs show says how the region ended', () => {
    const r = baton(['run', 'order.flow', '--flow', 'Order', '--store', 'runs.db'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /⊗ region fulfil — cancelled by cancel fulfil \(line 6\)[\s\S]*↺ undo reserve[\s\S]*✓ tell/);
    assert.match(r.stdout, /⊘ slow\s+cancel requested[\s\S]*⊘ slow\s+Slow\s+cancelled/);
    assert.match(r.stdout, /■ flow Order — completed/);
    const id = /run ([0-9A-Z]{26})/.exec(r.stdout)?.[1] ?? /([0-9A-Z]{26})/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const shown = baton(['runs', 'show', id, '--store', 'runs.db'], { cwd: ws.dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /region fulfil: cancelled by cancel fulfil \(line 6\) \(1 compensation\)/);
    assert.match(shown.stdout, /step slow: cancelled by cancel slow \(line 14\)/);
    assert.match(shown.stdout, /flow Order: completed by complete \(line 18\)/);
    // --json names the statements that ended regions the same way (the editor's Runs view reads them)
    const json = baton(['runs', 'show', id, '--json', '--store', 'runs.db'], { cwd: ws.dir });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(Object.values((JSON.parse(json.stdout) as { statements?: Record<string, string> }).statements ?? {}), ['cancel fulfil (line 6)']);
  });

  it('baton check reports cancel-target-not-active and unreachable-statement with their places', () => {
    writeFileSync(path.join(ws.dir, 'bad.flow'), 'agent W { stub: "ok" }\nflow F {\n  region r {\n    step a: W\n  }\n  cancel r\n  complete\n  step b: W\n}\n');
    const r = baton(['check', 'bad.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /bad\.flow:6:10 - error cancel-target-not-active: `cancel r` can never find region `r` running/);
    assert.match(r.stdout + r.stderr, /bad\.flow:8:3 - error unreachable-statement: this statement can never run: the `complete` above always ends the flow/);
  });
});
