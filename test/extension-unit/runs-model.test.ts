import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { approveArgs, childEnv, runArgs, type RunSettings } from '../../packages/extension/src/run-env.js';
import { LineSplitter, problemOf, RunProcess, type CliLaunch } from '../../packages/extension/src/run-process.js';
import { RunsModel, RunStoreClient } from '../../packages/extension/src/runs-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'out', 'cli.mjs');
const FIXTURES = path.join(ROOT, 'test', 'extension', 'fixtures', 'runs');
const settings: RunSettings = { agentsMode: 'stub', storePath: '.baton/runs.db', baseUrls: {} };

describe('run processes and the runs model (the real CLI as a child process)', () => {
  let dir: string;
  let store: string;
  let launch: CliLaunch;

  before(() => assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`));
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-runs-'));
    store = path.join(dir, 'runs.db');
    launch = { node: process.execPath, cli: CLI, cwd: dir, env: childEnv(process.env, settings, {}) };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function start(model: RunsModel, args: string[], runId?: string): RunProcess {
    const p = new RunProcess(launch, args, runId);
    model.attach(p);
    p.start();
    return p;
  }

  it('streams a failing run into the model: the retried step, its error, the run failed', async function () {
    this.timeout(20_000);
    const model = new RunsModel();
    const changes: string[] = [];
    model.onDidChange((run) => run && changes.push(run.status));
    const p = start(model, runArgs({ file: path.join(FIXTURES, 'failing.flow') }, settings, store));
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    assert.equal(exit.problem, undefined, 'a run that failed is shown as a failed run, not as a failure to start');
    const [run] = model.list();
    assert.equal(run.runId, p.runId);
    assert.deepEqual([run.flow, run.status, run.error?.code], ['Checkout', 'failed', 'STUB_ERROR']);
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status, e.attempts, e.error?.message]), [['fetch', 'succeeded', 1, undefined], ['charge', 'failed', 2, 'card declined']]);
    assert.equal(changes[0], 'running');
    assert.equal(changes.at(-1), 'failed');
  });

  it('a run that cannot start (a missing required input) ends with the CLI\'s one-line message', async function () {
    this.timeout(20_000);
    const model = new RunsModel();
    const exit = await start(model, runArgs({ file: path.join(FIXTURES, 'inputs.flow') }, settings, store)).exited;
    assert.equal(exit.code, 2);
    assert.equal(exit.problem, 'flow Welcome needs input "name" (string)');
    assert.deepEqual(model.list(), []);
  });

  it('runs with an inputs file, then lists and shows the stored run through the CLI', async function () {
    this.timeout(20_000);
    const model = new RunsModel();
    const inputsFile = path.join(dir, 'inputs.json');
    writeFileSync(inputsFile, JSON.stringify({ name: 'Ann', tier: 'GOLD', seats: 3, vip: true, tags: ['x'] }));
    const p = start(model, runArgs({ file: path.join(FIXTURES, 'inputs.flow'), inputsFile }, settings, store));
    assert.equal((await p.exited).code, 0);
    assert.deepEqual(model.get(p.runId!)!.outputs, { greeting: 'hello Ann/GOLD/3/true/["x"]' });

    const client = new RunStoreClient(() => launch, () => store);
    const stored = await client.list();
    assert.deepEqual(stored.map((r) => [r.id, r.flow, r.status]), [[p.runId, 'Welcome', 'succeeded']]);
    const fresh = new RunsModel();
    fresh.setStored(stored);
    assert.equal(fresh.get(p.runId!)!.entries, undefined, 'a stored run\'s steps load when it is expanded');
    const detail = await client.show(p.runId!);
    const run = fresh.setStoredDetail(detail.run, detail.events);
    assert.deepEqual(run!.entries!.map((e) => [e.key, e.status]), [['greet', 'succeeded']]);
    await assert.rejects(client.show('nope'), /nope/);
    assert.deepEqual(await new RunStoreClient(() => launch, () => path.join(dir, 'none.db')).list(), []);
  });

  it('waits at an approval; approving streams the continued run into the same run', async function () {
    this.timeout(20_000);
    const model = new RunsModel();
    const p = start(model, runArgs({ file: path.join(FIXTURES, 'approval.flow') }, settings, store));
    assert.equal((await p.exited).code, 0);
    const runId = p.runId!;
    assert.deepEqual([model.get(runId)!.status, model.get(runId)!.waitingOn.map((w) => w.kind)], ['waiting', ['approval']]);
    model.recordDecision(runId, 'sign_off', 'approved', 'ann');
    const approve = start(model, approveArgs(runId, 'sign_off', true, 'ann', store), runId);
    assert.equal((await approve.exited).code, 0);
    const run = model.get(runId)!;
    assert.deepEqual([run.status, run.outputs], ['succeeded', { sent: true }]);
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status, e.decision]), [['draft', 'succeeded', undefined], ['sign_off', 'approved', 'approved']]);
    assert.equal(model.list().length, 1);
  });

  it('SIGINT interrupts a running run: exit 130, stored as interrupted, then baton cancel cancels it', async function () {
    this.timeout(20_000);
    const model = new RunsModel();
    const p = start(model, runArgs({ file: path.join(FIXTURES, 'slow.flow') }, settings, store));
    await new Promise<void>((resolve) => p.onEvent((e) => e.type === 'wait.started' && resolve()));
    assert.equal(model.active().length, 1);
    assert.ok(p.interrupt());
    const exit = await p.exited;
    assert.deepEqual([exit.code, exit.problem], [130, undefined]);
    assert.equal(model.get(p.runId!)!.status, 'interrupted');
    assert.deepEqual(model.active(), []);
    const client = new RunStoreClient(() => launch, () => store);
    assert.equal((await client.list())[0].status, 'interrupted');
    assert.match(await client.cancel(p.runId!), /^Cancelled run /);
    assert.equal((await client.list())[0].status, 'cancelled');
  });

  it('reports a crash without a baton: line as one sentence pointing at the output channel', () => {
    assert.equal(problemOf(1, undefined, 'TypeError: x\n    at y (z.js:1:1)\n'), 'the Baton CLI stopped unexpectedly (exit 1); its output is in the "Baton" output channel');
    assert.equal(problemOf(2, undefined, 'a.flow:1:1 - error parse-error: …\nbaton: a.flow has 1 error; fix it first (baton check a.flow)\n'), 'a.flow has 1 error; fix it first (baton check a.flow)');
  });

  it('splits chunks into lines across chunk boundaries', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('{"a":');
    s.push('1}\r\n{"b"');
    s.push(':2}\n');
    s.push('tail');
    s.flush();
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', 'tail']);
  });
});
