import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, baton, tempWorkspace } from './cli-helper.js';

const FLOW = `
agent Op { instructions: "Do it." output: { detail: string } stub: { detail: "ok" } }
flow Slow {
  output done: string
  step prepare: Op { prompt: "prepare" compensate: Op { prompt: "undo prepare" } }
  wait 4s
  step finish: Op { prompt: "finish" }
  set output.done = finish.output.detail
}
`;

describe('baton run: Ctrl-C', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'slow.flow'), FLOW);
  });
  afterEach(() => ws.cleanup());

  it('stops the run as interrupted (exit 130, nothing undone) and resume finishes it', async function () {
    this.timeout(30_000);
    const child = spawn(process.execPath, [CLI, 'run', 'slow.flow'], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('✓ prepare')) setTimeout(() => child.kill('SIGINT'), 200); // during the 4 s wait
      });
      child.on('close', resolve);
    });
    assert.equal(code, 130, `exit code; stderr: ${err}`);
    const id = /run (\S+) /.exec(out)![1];
    assert.match(err, new RegExp(`Interrupted\\. The run is stored; continue it with: baton resume ${id}`));
    assert.doesNotMatch(out, /undo/);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    const shown = JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { run: { status: string }; events: { type: string }[] };
    assert.equal(shown.run.status, 'interrupted');
    assert.ok(!shown.events.some((e) => e.type.startsWith('compensation')));

    const resumed = baton(['resume', id], { cwd: ws.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /✓ finish/);
    assert.doesNotMatch(resumed.stdout, /✓ prepare/, 'prepare is not run again');
    assert.match(resumed.stdout, /✓ succeeded/);
  });
});
