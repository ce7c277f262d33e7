import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';

describe('baton check', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('checks every example clean (the pattern examples in examples/patterns too) and exits 0', () => {
    const r = baton(['check', 'examples'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const files = readdirSync(path.join(ws.dir, 'examples'), { recursive: true }).filter((f) => String(f).endsWith('.flow')).length;
    assert.ok(files > 5);
    assert.match(r.stdout, new RegExp(`No problems in ${files} files`));
  });

  it('prints path:line:column - severity CODE: message for each problem, then a count, and exits 1', () => {
    writeFileSync(path.join(ws.dir, 'bad.flow'), 'agent A { stub: "x" }\nflow F {\n  step s: Agnt { prompt: "hi" }\n}\n');
    const r = baton(['check', 'bad.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^bad\.flow:3:11 - error unknown-agent: unknown agent or flow `Agnt`/m);
    assert.match(r.stdout, /1 error/);
  });

  it('a deeply nested file is one nesting-too-deep error and exit 1, never a stack overflow', () => {
    writeFileSync(path.join(ws.dir, 'deep.flow'), 'flow F {\n  output x: number\n  set output.x = ' + '('.repeat(60) + '1' + ')'.repeat(60) + '\n}\n');
    writeFileSync(path.join(ws.dir, 'ifs.flow'), 'flow F {\n' + 'if true {\n'.repeat(200));
    const r = baton(['check', 'deep.flow', 'ifs.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^deep\.flow:3:37 - error nesting-too-deep: nesting deeper than 20 levels/m);
    assert.match(r.stdout, /^ifs\.flow:21:9 - error nesting-too-deep: nesting deeper than 20 levels/m);
    assert.match(r.stdout, /2 errors in 2 files/);
  });

  it('prints one JSON array of problems with --json', () => {
    writeFileSync(path.join(ws.dir, 'bad.flow'), 'flow F {\n  step s: Nope\n}\n');
    const r = baton(['check', 'bad.flow', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    const problems = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(problems[0]).sort(), ['code', 'column', 'endColumn', 'endLine', 'file', 'line', 'message', 'severity']);
    assert.equal(problems[0].code, 'unknown-agent');
    assert.equal(problems[0].line, 2);
    assert.equal(problems[0].column, 11);
  });

  it('exits 2 with one line for a missing file', () => {
    const r = baton(['check', 'nope.flow'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'baton: nope.flow: no such file or folder');
  });

  it('exits 2 for a folder without .flow files', () => {
    const r = baton(['check', '.baton-none'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const empty = path.join(ws.dir, 'empty');
    writeFileSync(path.join(ws.dir, 'note.txt'), 'x');
    mkdirSync(empty);
    const r2 = baton(['check', 'empty'], { cwd: ws.dir });
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /empty: no \.flow files in this folder/);
  });

  it('exits 2 for an unknown flag, without a stack trace', () => {
    const r = baton(['check', 'examples', '--frobnicate'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
    assert.doesNotMatch(r.stderr, /at .*\.(ts|js|mjs):\d+/);
  });
});

describe('baton run', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('runs the seed flow step by step and stores it', () => {
    const r = baton(['run', 'examples/process-orchestrator.flow'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /▶ ProcessOrchestrator/);
    assert.match(r.stdout, /✓ intake\s+Intake/);
    assert.match(r.stdout, /↳ switch intake\.output\.process_type = "INCIDENT" → case "INCIDENT"/);
    assert.match(r.stdout, /✓ incident\/page\s+NotificationOrchestrator/);
    assert.match(r.stdout, /✓ succeeded in .* · 6 steps/);
    assert.match(r.stdout, /stored in \.baton\/runs\.db/);
    const list = baton(['runs', 'list'], { cwd: ws.dir });
    assert.match(list.stdout, /ProcessOrchestrator\s+succeeded/);
  });

  it('prints one JSON event per line with --json, the last being run.succeeded with the outputs', () => {
    const r = baton(['run', 'examples/process-orchestrator.flow', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      assert.equal(typeof e.type, 'string');
      assert.equal(typeof e.runId, 'string');
      assert.ok(!Number.isNaN(Date.parse(e.time as string)));
    }
    const finished = events.filter((e) => e.type === 'step.finished');
    assert.ok(finished.every((e) => typeof e.step === 'string' && typeof e.status === 'string'));
    const last = events[events.length - 1];
    assert.equal(last.type, 'run.succeeded');
    assert.deepEqual(last.outputs, { process: 'INCIDENT', status: 'done' });
  });

  it('reads --input values by the declared type and runs the named --flow', () => {
    const r = baton(['run', 'examples/process-orchestrator.flow', '--flow', 'IncidentRouting', '--input', 'description=EU checkout down', '--input', 'severity=LOW', '--input', 'systems=["checkout"]', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { outputs: Record<string, unknown> };
    assert.equal(last.outputs.paged, false);
  });

  it('exits 1 when the run fails', () => {
    writeFileSync(path.join(ws.dir, 'fails.flow'), 'agent A { stub: error("boom") }\nflow F {\n  step s: A\n}\n');
    const r = baton(['run', 'fails.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ failed/);
    assert.match(r.stdout, /STUB_ERROR/);
  });

  const badInput: [string, string[], RegExp][] = [
    ['an unknown --flow', ['--flow', 'Nope'], /--flow Nope: .* has no flow named "Nope"; its flows are IncidentRouting, ProcessOrchestrator/],
    ['an --input naming no input', ['--input', 'colour=red'], /--input colour=red: flow ProcessOrchestrator has no input "colour"; its inputs are request, requester/],
    ['an --input of the wrong type', ['--flow', 'IncidentRouting', '--input', 'description=x', '--input', 'severity=MEDIUM'], /input "severity" expects one of "LOW" \| "HIGH" \| "CRITICAL"/],
    ['an --input without =', ['--input', 'request'], /--input request: expected name=value/],
    ['malformed --inputs JSON', ['--inputs', 'bad.json'], /--inputs bad\.json: not valid JSON/],
    ['a missing required input', ['--flow', 'IncidentRouting'], /needs input "description"/],
  ];
  for (const [what, args, message] of badInput) {
    it(`exits 2 with one clear line for ${what}, storing nothing`, () => {
      writeFileSync(path.join(ws.dir, 'bad.json'), '{ not json');
      const r = baton(['run', 'examples/process-orchestrator.flow', ...args], { cwd: ws.dir });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const list = baton(['runs', 'list'], { cwd: ws.dir });
      assert.match(list.stdout, /No runs stored yet/);
    });
  }

  it('refuses a file that is not a .flow file, naming it (exit 2), for run and check alike', () => {
    writeFileSync(path.join(ws.dir, 'notes.txt'), 'agent A { stub: "x" }');
    for (const args of [['run', 'notes.txt'], ['check', 'notes.txt']]) {
      const r = baton(args, { cwd: ws.dir });
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim(), 'baton: notes.txt: not a .flow file');
    }
  });

  it('does not start a run when the file has checker errors (exit 2)', () => {
    writeFileSync(path.join(ws.dir, 'bad.flow'), 'flow F {\n  step s: Nope\n}\n');
    const r = baton(['run', 'bad.flow'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.flow:2:11 - error unknown-agent/);
    assert.match(r.stderr, /bad\.flow has 1 error; fix it first/);
  });

  it('refuses a store file that is not a database and leaves it untouched (exit 2)', () => {
    const file = path.join(ws.dir, 'notes.db');
    writeFileSync(file, 'my precious notes\n');
    const r = baton(['run', 'examples/process-orchestrator.flow', '--store', 'notes.db'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a Baton run store/);
    assert.equal(readFileSync(file, 'utf8'), 'my precious notes\n');
  });

  it('uses BATON_STORE when no --store is given', () => {
    const r = baton(['run', 'examples/process-orchestrator.flow'], { cwd: ws.dir, env: { BATON_STORE: 'elsewhere/runs.db' } });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /stored in elsewhere\/runs\.db/);
  });

  it('prints no colour codes when NO_COLOR is set', () => {
    const r = baton(['run', 'examples/process-orchestrator.flow'], { cwd: ws.dir, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.ok(!r.stdout.includes("\u001b["), "no ANSI escape in output");
  });
});
