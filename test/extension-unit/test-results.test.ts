import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCliProcess } from '../../packages/extension/src/cli-process.js';
import { outcomesOf, testCommandArgs, toEditorRange } from '../../packages/extension/src/test-results.js';
import { CLI } from '../cli/cli-helper.js';

const FLOW = 'agent A { stub: { n: 1 } output: { n: number } }\nflow F {\n  output n: number\n  step s: A\n  set output.n = s.output.n\n}\ntest "n is two" {\n  flow: F\n  expect: status == "succeeded" && output.n == 2\n}\ntest "n is one" {\n  flow: F\n  expect: output.n == 1\n}\n';

describe('extension: running tests for the Test Explorer (plain Node)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-tests-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds `baton test <file> --test <name>… --json`', () => {
    assert.deepEqual(testCommandArgs('/w/a b.flow', ['n is one', 'x']), ['test', '/w/a b.flow', '--test', 'n is one', '--test', 'x', '--json']);
    assert.deepEqual(testCommandArgs('/w/a.flow', []), ['test', '/w/a.flow', '--json']);
  });

  it('turns 1-based CLI ranges into 0-based editor ranges', () => {
    assert.deepEqual(toEditorRange({ file: '/f', start: { line: 9, column: 36 }, end: { line: 9, column: 49 } }), { startLine: 8, startCharacter: 35, endLine: 8, endCharacter: 48 });
  });

  it('runs the CLI out of process and gives each requested test its outcome, a failure located on its failing expectation', async () => {
    const file = path.join(dir, 't.flow');
    writeFileSync(file, FLOW);
    const names = ['n is two', 'n is one'];
    const result = await runCliProcess(process.execPath, CLI, testCommandArgs(file, names), { cwd: dir });
    assert.equal(result.exitCode, 1, result.stderr);
    const outcomes = outcomesOf(result, names);
    const two = outcomes.get('n is two');
    assert.equal(two?.kind, 'failed');
    assert.ok(two.kind === 'failed' && two.durationMs >= 0);
    assert.deepEqual(two.kind === 'failed' && [two.message, two.location], ['expected output.n == 2 (output.n is 1); the run succeeded', { startLine: 8, startCharacter: 35, endLine: 8, endCharacter: 48 }]);
    assert.equal(outcomes.get('n is one')?.kind, 'passed');
  });

  it('reports checker errors as every requested test errored, with the checker’s lines', async () => {
    const file = path.join(dir, 't.flow');
    writeFileSync(file, FLOW.replace('step s: A', 'step s: B'));
    const result = await runCliProcess(process.execPath, CLI, testCommandArgs(file, ['n is one']), { cwd: dir });
    assert.equal(result.exitCode, 2);
    const outcome = outcomesOf(result, ['n is one']).get('n is one');
    assert.equal(outcome?.kind, 'errored');
    assert.match(outcome.kind === 'errored' ? outcome.message : '', /t\.flow:4:11 - error unknown-agent: .*\n.*the tests did not run: 1 checker error/);
  });

  it('kills the child when the run is cancelled and reports every test cancelled', async () => {
    const file = path.join(dir, 't.flow');
    writeFileSync(file, FLOW);
    const abort = new AbortController();
    const pending = runCliProcess(process.execPath, CLI, testCommandArgs(file, ['n is one']), { cwd: dir, signal: abort.signal });
    abort.abort();
    const result = await pending;
    assert.equal(result.cancelled, true);
    assert.equal(result.exitCode, -1, 'killed by a signal, not exited');
    assert.deepEqual([...outcomesOf(result, ['n is one'])], [['n is one', { kind: 'cancelled' }]]);
  });

  it('says which test the CLI did not report, and a missing binary is one clear error', async () => {
    const reported = outcomesOf({ exitCode: 0, stdout: '[]', stderr: '', cancelled: false }, ['gone']);
    assert.deepEqual(reported.get('gone'), { kind: 'errored', message: 'baton test did not report "gone"' });
    const missing = await runCliProcess(path.join(dir, 'no-such-node'), CLI, ['--version']);
    assert.equal(missing.exitCode, -1);
    assert.deepEqual(outcomesOf(missing, ['t']).get('t'), { kind: 'errored', message: missing.stderr.trim() });
    assert.match(missing.stderr, /ENOENT/);
  });
});
