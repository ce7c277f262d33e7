import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace } from './cli-helper.js';

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

describe('baton test --crash-at (kill -9 mid-run, resume, every step exactly once)', function () {
  this.timeout(300_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'twenty.flow'), TWENTY);
    writeFileSync(path.join(ws.dir, 'mixed.flow'), MIXED);
  });
  after(() => ws.cleanup());

  it('a 20-step flow survives a SIGKILL at every one of its steps: 20/20 resumed runs complete, each step finished once', async () => {
    const survived: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const r = await batonAsync(['test', 'twenty.flow', '--crash-at', `s${i}`, '--json'], { cwd: ws.dir });
      const report = JSON.parse(r.stdout) as { crashed: boolean; status: string; steps: Record<string, number>; passed: boolean; problem?: string };
      assert.equal(r.code, 0, `s${i}: ${report.problem}`);
      assert.equal(report.crashed, true);
      assert.equal(report.status, 'succeeded');
      assert.deepEqual(Object.values(report.steps), Array(20).fill(1), `s${i}: every step finished exactly once`);
      survived.push(`s${i}`);
    }
    assert.equal(survived.length, 20);
  });

  it('inside parallel branches and a foreach item too; says so in one line', async () => {
    for (const step of ['b', 'c', 'load[1]']) {
      const r = await batonAsync(['test', 'mixed.flow', '--crash-at', step], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout.trim(), new RegExp(`^✓ mixed\\.flow · Mixed: killed \\(SIGKILL\\) at step ${step.replace(/[[\]]/g, '\\$&')}, resumed run [0-9A-Z]{26} → succeeded; 7 steps, each finished exactly once$`));
    }
  });

  it('a step the flow never reaches fails the crash test (exit 1) and says so; a second file is a usage error (exit 2)', async () => {
    const r = await batonAsync(['test', 'mixed.flow', '--crash-at', 'nope'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /crash at step nope: the run never reached step nope/);
    const two = await batonAsync(['test', 'mixed.flow', 'twenty.flow', '--crash-at', 'a'], { cwd: ws.dir });
    assert.equal(two.code, 2);
    assert.equal(two.stderr.trim(), 'baton: --crash-at runs one flow: give one .flow file');
  });
});
