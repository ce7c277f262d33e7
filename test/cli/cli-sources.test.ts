import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { baton, serveUntilBanner, tempWorkspace } from './cli-helper.js';

/**
 * The `.flow` texts a run was compiled from are stored with it (issue 13, the console's Source tab): by `baton run`,
 * `baton runs migrate` and `baton serve` (whose executor thread stores the runs) — each file of the definition, the
 * imported ones too, under the path the definition's ranges name.
 */
describe('the run store keeps the sources of each run (baton run, runs migrate, serve)', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  const LIB = 'agent A { stub: "ok" }\n';
  const MAIN = 'import "lib/agents.flow"\n\nflow Buy {\n  trigger webhook "/buy"\n  step a: A\n  approval sign { prompt: "ok?" }\n}\n';
  let dir: string;
  beforeEach(() => {
    ws = tempWorkspace();
    dir = realpathSync(ws.dir);
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'agents.flow'), LIB);
    writeFileSync(path.join(dir, 'buy.flow'), MAIN);
  });
  afterEach(() => ws.cleanup());

  const sourcesOf = async (runId?: string) => {
    const store = SqliteRunStore.open(path.join(dir, 'runs.db'));
    try {
      const [run] = runId ? [await store.getRun(runId)] : await store.listRuns({ limit: 1 });
      return (await store.getDefinitionSources(run.id)).sources;
    } finally {
      await store.close();
    }
  };

  it('baton run stores the entry file and the file it imports; runs migrate stores the new texts', async () => {
    const r = baton(['run', 'buy.flow', '--store', 'runs.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const expected = [
      { file: path.join(dir, 'buy.flow'), text: MAIN },
      { file: path.join(dir, 'lib', 'agents.flow'), text: LIB },
    ];
    assert.deepEqual(await sourcesOf(), expected);

    const store = SqliteRunStore.open(path.join(dir, 'runs.db'));
    const runId = (await store.listRuns({ limit: 1 }))[0].id;
    await store.close();
    const changed = MAIN.replace('prompt: "ok?"', 'prompt: "ok now?"');
    writeFileSync(path.join(dir, 'buy.flow'), changed);
    const migrated = baton(['runs', 'migrate', runId, '--to', 'buy.flow', '--store', 'runs.db'], { cwd: dir });
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
    assert.deepEqual(await sourcesOf(runId), [{ file: path.join(dir, 'buy.flow'), text: changed }, expected[1]]);
  });

  it("baton serve's executor thread stores them with the runs it starts", async () => {
    const { child, url } = await serveUntilBanner(['.', '--port', '0', '--store', 'runs.db'], { cwd: dir, env: { BATON_WEBHOOK_SECRET: 's3cret' } });
    try {
      const body = '{}';
      const res = await fetch(`${url}/buy`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}` }, body });
      assert.equal(res.status, 202);
      const { runId } = (await res.json()) as { runId: string };
      // stored with the run, before the answer
      assert.deepEqual(await sourcesOf(runId), [
        { file: path.join(dir, 'buy.flow'), text: MAIN },
        { file: path.join(dir, 'lib', 'agents.flow'), text: LIB },
      ]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('close', resolve));
    }
  });
});
