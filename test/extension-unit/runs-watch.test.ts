import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, type RunSettings } from '../../packages/extension/src/run-env.js';
import type { CliLaunch } from '../../packages/extension/src/run-process.js';
import { RunsModel } from '../../packages/extension/src/runs-model.js';
import { nextBackoff, parseWatchLine, RunsWatch, WatchLineReader } from '../../packages/extension/src/runs-watch.js';
import type { StoredRun } from '../../packages/extension/src/run-state.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'out', 'cli.mjs');
const settings: RunSettings = { agentsMode: 'stub', storePath: '.baton/runs.db', baseUrls: {} };

const record = (id: string, status: StoredRun['status'], extra: Partial<StoredRun> = {}): StoredRun => ({
  id,
  flow: 'F',
  file: null,
  status,
  startedAt: '2026-12-04T10:00:00.000Z',
  finishedAt: null,
  inputs: {},
  outputs: {},
  error: null,
  waitingOn: [],
  cancelRequested: false,
  ...extra,
});

/** Resolves once `probe` is true, checking on each of `tick`'s calls (no fixed sleep); rejects after `ms`. */
function until(probe: () => boolean, what: string, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const check = (): void => {
      if (probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 10);
    };
    check();
  });
}

describe('the Runs view live feed (baton runs watch --json as a child)', () => {
  it('reads JSON Lines split anywhere across chunks, and ignores lines of other shapes', () => {
    const reader = new WatchLineReader();
    const run = JSON.stringify({ type: 'run', run: record('01A', 'running') });
    assert.deepEqual(reader.push(run.slice(0, 10)), []);
    assert.deepEqual(reader.push(`${run.slice(10)}\nnot json\n{"type":"other"}\n{"type":"list`), [{ type: 'run', run: record('01A', 'running') }]);
    assert.deepEqual(reader.push('ed","count":3}\n'), [{ type: 'listed', count: 3 }]);
    assert.equal(parseWatchLine('{"type":"run","run":{"id":1}}'), undefined);
    assert.equal(parseWatchLine(''), undefined);
  });

  it('backs off by doubling up to the limit', () => {
    assert.deepEqual([1000, 2000, 16_000, 30_000].map((p) => nextBackoff(p, 30_000)), [2000, 4000, 30_000, 30_000]);
  });

  it('the model takes in watched runs: a new one is added, a changed one replaced, an unchanged one keeps its loaded entries', () => {
    const model = new RunsModel();
    let changes = 0;
    model.onDidChange(() => changes++);
    model.upsertStored(record('01A', 'running'));
    assert.deepEqual(model.list().map((r) => [r.runId, r.status]), [['01A', 'running']]);
    model.setStoredDetail(record('01A', 'waiting', { waitingOn: [{ kind: 'approval', task: 't', node: 'n', options: [] }] }), []);
    const before = changes;
    model.upsertStored(record('01A', 'waiting', { waitingOn: [{ kind: 'approval', task: 't', node: 'n', options: [] }] }));
    assert.equal(changes, before, 'unchanged: no change fired');
    assert.deepEqual(model.get('01A')!.entries, [], 'entries kept');
    model.upsertStored(record('01A', 'succeeded', { finishedAt: '2026-12-04T10:01:00.000Z' }));
    assert.equal(model.get('01A')!.status, 'succeeded');
    assert.equal(model.get('01A')!.entries, undefined, 'reloaded when expanded');
    model.upsertStored(record('01B', 'queued'));
    assert.deepEqual(model.list().map((r) => r.runId), ['01B', '01A']);
  });

  it('a store read that a watched change overtook does not put the older state back: not the run\'s detail, nor a list', () => {
    const model = new RunsModel();
    const waiting = record('01A', 'waiting', { waitingOn: [{ kind: 'approval', task: 't', node: 'n', options: [] }] });
    model.upsertStored(waiting);
    // `baton runs show` and `baton runs list` start while the run waits; the watch reports it succeeded before they return
    const shownFrom = model.mark();
    const listedFrom = model.mark();
    model.upsertStored(record('01A', 'succeeded', { finishedAt: '2026-12-04T10:01:00.000Z' }));
    model.upsertStored(record('01B', 'running'));
    assert.equal(model.setStoredDetail(waiting, [], shownFrom), undefined, 'the older detail is not put in place: read it again');
    model.setStored([waiting], listedFrom);
    assert.deepEqual(model.list().map((r) => [r.runId, r.status]), [['01B', 'running'], ['01A', 'succeeded']], 'neither replaced nor removed by the older list');
    // a read that started after the change is taken
    const later = model.mark();
    assert.equal(model.setStoredDetail(record('01A', 'succeeded', { finishedAt: '2026-12-04T10:01:00.000Z' }), [], later)?.entries?.length, 0);
    model.setStored([record('01A', 'succeeded', { finishedAt: '2026-12-04T10:01:00.000Z' })], model.mark());
    assert.deepEqual(model.list().map((r) => r.runId), ['01A'], 'a run the newer list does not have is removed');
  });

  describe('with processes', function () {
    this.timeout(60_000);
    let dir: string;
    let watch: RunsWatch | undefined;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-watch-'))));
    afterEach(() => {
      watch?.stop();
      watch = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    it('a child that dies is started again after a pause that doubles; stop ends it and plans no restart', async () => {
      // a stand-in for the CLI that prints one run and dies
      const fake = path.join(dir, 'dies.mjs');
      writeFileSync(fake, `console.log(JSON.stringify({ type: 'run', run: ${JSON.stringify(record('01A', 'running'))} })); console.error('baton: lost it'); process.exit(3);\n`);
      const launch: CliLaunch = { node: process.execPath, cli: fake, cwd: dir, env: process.env };
      const runs: string[] = [];
      const messages: string[] = [];
      const startedAt: number[] = [];
      watch = new RunsWatch({ launch: () => (startedAt.push(Date.now()), launch), store: () => '/s.db', onRun: (r) => runs.push(r.id), onMessage: (m) => messages.push(m), backoffMs: 50, maxBackoffMs: 400 });
      watch.start();
      await until(() => watch!.starts >= 4, 'four starts');
      watch.stop();
      const starts = watch.starts;
      assert.ok(runs.length >= 3 && runs.every((id) => id === '01A'));
      assert.ok(messages.includes('baton: lost it'), messages.join('\n'));
      assert.match(messages.find((m) => m.startsWith('baton runs watch ended'))!, /^baton runs watch ended \(exit 3\); starting it again in 0\.1 s$/);
      const gaps = startedAt.slice(1, 4).map((t, i) => t - startedAt[i]);
      assert.ok(gaps[1] >= 100 && gaps[2] >= 200, `pauses grow: ${gaps.join(', ')} ms`);
      // nothing more once stopped: no child, no start planned
      assert.equal(watch.idle, true);
      assert.equal(watch.active, false);
      assert.equal(watch.starts, starts);
    });

    it('follows the store only once its child has listed the runs, and no longer once that child has exited', async () => {
      // a stand-in for the CLI: prints a run, lists when the file `go` appears, exits when `end` appears
      const fake = path.join(dir, 'lists.mjs');
      writeFileSync(
        fake,
        `import { existsSync } from 'node:fs';\nconsole.log(JSON.stringify({ type: 'run', run: ${JSON.stringify(record('01A', 'running'))} }));\nlet listed = false;\nsetInterval(() => {\n  if (!listed && existsSync('go')) { listed = true; console.log(JSON.stringify({ type: 'listed', count: 1 })); }\n  if (existsSync('end')) process.exit(0);\n}, 10);\n`,
      );
      const launch: CliLaunch = { node: process.execPath, cli: fake, cwd: dir, env: process.env };
      const runs: string[] = [];
      watch = new RunsWatch({ launch: () => launch, store: () => '/s.db', onRun: (r) => runs.push(r.id), backoffMs: 50 });
      watch.start();
      assert.equal(watch.active, true);
      await until(() => runs.length === 1, 'the child\'s first run line');
      assert.equal(watch.following, false, 'not following before the listing is complete');
      writeFileSync(path.join(dir, 'go'), '');
      await until(() => watch!.following, 'following once listed');
      rmSync(path.join(dir, 'go'));
      writeFileSync(path.join(dir, 'end'), '');
      await until(() => !watch!.following, 'not following once the child exited');
      rmSync(path.join(dir, 'end'));
      await until(() => watch!.starts >= 2 && runs.length >= 2, 'a restarted child printing its run');
      assert.equal(watch.following, false, 'the restarted child has not listed yet');
      watch.stop();
      assert.equal(watch.following, false);
    });

    it('feeds the model runs that another process writes to the store, and waits for a store file to exist before watching it', async () => {
      assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
      const store = path.join(dir, 'runs.db');
      const flow = path.join(dir, 'chain.flow');
      writeFileSync(flow, 'agent W { stub: "ok" }\nflow Chain {\n  step a: W { prompt: "a" }\n}\n');
      const launch: CliLaunch = { node: process.execPath, cli: CLI, cwd: dir, env: childEnv(process.env, settings, {}) };
      const model = new RunsModel();
      let listed = 0;
      watch = new RunsWatch({ launch: () => launch, store: () => store, canStart: () => existsSync(store), onRun: (r) => model.upsertStored(r), onListed: () => listed++, backoffMs: 50 });
      watch.start();
      assert.equal(watch.starts, 0, 'no store file yet: not started (watching would create it)');
      const run = (): Promise<string> =>
        new Promise((resolve) => {
          let out = '';
          const child = spawn(process.execPath, [CLI, 'run', flow, '--json', '--store', store], { cwd: dir, env: launch.env });
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('close', () => resolve((JSON.parse(out.split('\n')[0]) as { runId: string }).runId));
        });
      const first = await run();
      await until(() => listed === 1, 'the watch started and listed');
      assert.equal(watch.following, true);
      await until(() => model.get(first)?.status === 'succeeded', 'the first run');
      const second = await run();
      await until(() => model.get(second)?.status === 'succeeded', 'a run written by another process');
      assert.equal(watch.starts, 1);
    });
  });
});
