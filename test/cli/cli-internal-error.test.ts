import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sqlite from 'node-sqlite3-wasm';
import { RunStore } from '../../packages/runtime/src/index.js';
import { baton, CLI, tempWorkspace } from './cli-helper.js';

const HINT = 'baton: this is a bug in Baton; run again with BATON_DEBUG=1 to see the details.';

// Injects a bug into a `baton run` process from outside (node --import): once the first step has started, a
// callback throws a TypeError that nothing awaits — an uncaught exception, as a bug in an event handler would be.
const FAULT = `
const write = process.stdout.write.bind(process.stdout);
let armed = true;
process.stdout.write = (chunk, ...rest) => {
  if (armed && String(chunk).includes('"step.started"')) {
    armed = false;
    setImmediate(() => { throw new TypeError('injected fault: x is undefined'); });
  }
  return write(chunk, ...rest);
};
`;

describe('baton never prints its bundle\'s source, never strands a run: internal errors are one line', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'fault.mjs'), FAULT);
    writeFileSync(path.join(ws.dir, 'slow.flow'), 'agent W { stub: "ok" }\nflow Slow {\n  step a: W { prompt: "a" }\n  wait 300ms\n  step b: W { prompt: "b" }\n}\n');
    writeFileSync(path.join(ws.dir, 'r.flow'), 'flow R {\n  output x: number\n  step again: R\n  set output.x = again.output.x ?? 0\n}\n');
    writeFileSync(path.join(ws.dir, 'deep.flow'), 'flow R {\n  input n: number\n  output x: number\n  if input.n > 0 {\n    step again: R { input: { n: input.n - 1 } }\n    set output.x = again.output.x ?? 0\n  }\n}\n');
  });
  after(() => ws.cleanup());

  it('an uncaught exception during a run: one line with the message and where, the hint, exit 2, and the run stored as failed (INTERNAL), not left running', () => {
    const store = path.join(ws.dir, 'fault.db');
    const result = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(ws.dir, 'fault.mjs')).href, CLI, 'run', 'slow.flow', '--json', '--store', store], {
      cwd: ws.dir,
      env: { ...process.env, NO_COLOR: '1', BATON_DEBUG: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0], /^baton: internal error: injected fault: x is undefined \(at .*fault\.mjs:\d+:\d+\)$/);
    assert.equal(lines[1], HINT);
    for (const line of result.stdout.trim().split('\n')) JSON.parse(line); // only events on stdout, no source
    const opened = RunStore.open(store);
    try {
      const [run] = opened.listRuns();
      assert.equal(run.status, 'failed');
      assert.deepEqual(run.error, { code: 'INTERNAL', message: 'injected fault: x is undefined' });
      assert.equal(opened.getEvents(run.id).at(-1)?.type, 'run.failed');
    } finally {
      opened.close();
    }
  });

  it('a reader of --json that goes away (EPIPE, as with | head -1) is no error: the run carries on to its end, exit 0, nothing on stderr', async () => {
    const store = path.join(ws.dir, 'epipe.db');
    const child = spawn(process.execPath, [CLI, 'run', 'slow.flow', '--json', '--store', store], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // read the first event, then close the pipe (the reader is gone) while the run waits on its timer
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const opened = RunStore.open(store);
    try {
      assert.equal(opened.listRuns()[0].status, 'succeeded');
    } finally {
      opened.close();
    }
  });

  it('an internal error a command throws (a store row that is not JSON) names the source file and line, not the bundle', () => {
    const store = path.join(ws.dir, 'corrupt.db');
    const ran = baton(['run', 'slow.flow', '--json', '--store', store], { cwd: ws.dir });
    assert.equal(ran.code, 0, ran.stderr);
    const runId = (JSON.parse(ran.stdout.split('\n')[0]) as { runId: string }).runId;
    const db = new sqlite.Database(store);
    db.run(`UPDATE events SET data = '{not json' WHERE run_id = ? AND seq = 2`, [runId]);
    db.close();
    const shown = baton(['runs', 'show', runId, '--store', store], { cwd: ws.dir });
    assert.equal(shown.code, 2);
    const lines = shown.stderr.trim().split('\n');
    assert.equal(lines.length, 2, shown.stderr);
    assert.match(lines[0], /^baton: internal error: .*JSON.* \(at packages\/runtime\/src\/store\/run-store\.ts:\d+\)$/);
    assert.equal(lines[1], HINT);
  });

  it('a flow that calls itself with nothing around the call is refused by the check before it runs (exit 2, unbounded-recursion)', () => {
    const result = baton(['run', 'r.flow', '--store', path.join(ws.dir, 'r.db')], { cwd: ws.dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /r\.flow:3:15 - error unbounded-recursion: flow `R` always calls itself \(R → R\)/);
  });

  it('recursion deeper than 64 sub-flow calls fails cleanly with FLOW_DEPTH_EXCEEDED (exit 1, nothing on stderr, a bounded output), stored as failed with that code', () => {
    const store = path.join(ws.dir, 'deep.db');
    const result = baton(['run', 'deep.flow', '--input', 'n=1000', '--store', store], { cwd: ws.dir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    assert.ok(result.stdout.length < 64 * 1024, `${result.stdout.length} bytes of output`);
    assert.match(result.stdout, /✗ failed in .* · 65 steps · FLOW_DEPTH_EXCEEDED: step again would call flow R at sub-flow depth 65, deeper than the limit of 64/);
    const opened = RunStore.open(store);
    try {
      const [run] = opened.listRuns();
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'FLOW_DEPTH_EXCEEDED');
    } finally {
      opened.close();
    }
  });
});
