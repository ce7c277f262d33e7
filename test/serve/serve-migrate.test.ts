import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { servedMigrationTarget } from '../../packages/cli/src/commands/serve.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { serveStoreKinds } from './serve-store-kinds.js';
import { ACME, GLOBEX, sign, startTestServer } from './serve-fixtures.js';

/** `POST /runs/:id/migrate` on both stores: the migration over HTTP, with the runs API's auth and tenant rules. */

const V1 = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Welcome {
  trigger webhook "/welcome"
  input name: string
  step greet: Greeter { prompt: "greet \${input.name}" }
  approval send_it { prompt: "send it?" }
  step sent: Greeter { prompt: "sent" }
}
`;
const V2 = V1.replace('  step sent: Greeter { prompt: "sent" }\n', '  step sent: Greeter { prompt: "sent" }\n  step thanked: Greeter { prompt: "thanks" }\n');
/** Refused: a step before the wait. */
const V3 = V1.replace('  approval send_it', '  step extra: Greeter { prompt: "extra" }\n  approval send_it');


const KINDS = serveStoreKinds('baton_m');

for (const kind of KINDS) {
  describe(`baton serve: POST /runs/:id/migrate (${kind.name} store)`, function () {
    this.timeout(60_000);
    let dir: string;
    let store: RunStoreApi;
    let server: BatonServer;

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-migrate-'));
      writeFileSync(path.join(dir, 'welcome.flow'), V1);
      store = await kind.open(dir);
      server = await startTestServer(dir, { store, migrationTarget: servedMigrationTarget(dir, [ACME, GLOBEX]) });
      // the new versions appear after the server started, as they would
      writeFileSync(path.join(dir, 'welcome-v2.flow'), V2);
      writeFileSync(path.join(dir, 'welcome-v3.flow'), V3);
    });
    afterEach(async () => {
      await server.close();
      await store.close();
      await kind.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const start = async (): Promise<string> => {
      const text = JSON.stringify({ name: 'Ann' });
      const res = await fetch(`${server.url}/welcome`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(ACME.webhookSecret, text) }, body: text });
      assert.equal(res.status, 202);
      const { runId } = (await res.json()) as { runId: string };
      await server.idle();
      return runId;
    };
    const api = async (token: string | undefined, route: string, body?: unknown) => {
      const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
    };
    const steps = async (id: string) => (await store.getEvents(id)).flatMap((e) => (e.type === 'step.finished' ? [e.step] : []));

    it('moves a waiting run to the new file (dry run first); the approval that follows runs the new step; the migration is recorded with its caller', async () => {
      const id = await start();
      const dry = await api(ACME.apiToken, `/runs/${id}/migrate`, { file: 'welcome-v2.flow', dryRun: true });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.deepEqual([dry.body.compatible, dry.body.migrated, dry.body.problems], [true, false, []]);
      assert.equal((await store.getEvents(id)).filter((e) => e.type === 'run.migrated').length, 0);
      const done = await fetch(`${server.url}/runs/${id}/migrate`, { method: 'POST', headers: { authorization: `Bearer ${ACME.apiToken}`, 'x-baton-user': 'ops@acme', 'content-type': 'application/json' }, body: JSON.stringify({ file: 'welcome-v2.flow' }) });
      assert.equal(done.status, 200);
      const migrated = (await store.getEvents(id)).filter((e) => e.type === 'run.migrated');
      assert.equal(migrated.length, 1);
      assert.equal(migrated[0].type === 'run.migrated' && migrated[0].by, 'api-token:acme', 'the authenticated caller, not the X-Baton-User header');
      assert.equal(path.basename((await store.getRun(id)).file ?? ''), 'welcome-v2.flow');
      assert.equal((await api(ACME.apiToken, `/runs/${id}/approve`, { task: 'send_it' })).status, 202);
      await server.idle();
      assert.equal((await store.getRun(id)).status, 'succeeded');
      assert.deepEqual(await steps(id), ['greet', 'sent', 'thanked']);
    });

    it('a refused migration is 409 MIGRATION_REFUSED with its problems; nothing changes', async () => {
      const id = await start();
      const refused = await api(ACME.apiToken, `/runs/${id}/migrate`, { file: 'welcome-v3.flow' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error?.code, 'MIGRATION_REFUSED');
      const problems = refused.body.problems as { code: string; message: string; range: { start: { line: number } } }[];
      assert.deepEqual(
        problems.map((p) => [p.code, p.message, p.range.start.line]),
        [['path-diverged', "step extra would run before the run's current wait, and it has not run", 7]],
      );
      assert.equal((await store.getEvents(id)).filter((e) => e.type === 'run.migrated').length, 0);
    });

    it("the runs API's rules: another tenant's run is missing, no token is 401, a file outside the folder or a bad body 422, a finished run 409", async () => {
      const id = await start();
      assert.equal((await api(GLOBEX.apiToken, `/runs/${id}/migrate`, { file: 'welcome-v2.flow' })).body.error?.code, 'RUN_NOT_FOUND');
      assert.equal((await api(undefined, `/runs/${id}/migrate`, { file: 'welcome-v2.flow' })).status, 401);
      const outside = await api(ACME.apiToken, `/runs/${id}/migrate`, { file: '../welcome-v2.flow' });
      assert.deepEqual([outside.status, outside.body.error?.code], [422, 'MIGRATION_FILE_INVALID']);
      const bad = await api(ACME.apiToken, `/runs/${id}/migrate`, { flow: 'Welcome' });
      assert.deepEqual([bad.status, bad.body.error?.code], [422, 'MIGRATION_INVALID']);
      assert.equal((await api(ACME.apiToken, `/runs/${id}/approve`, { task: 'send_it' })).status, 202);
      await server.idle();
      const finished = await api(ACME.apiToken, `/runs/${id}/migrate`, { file: 'welcome-v2.flow' });
      assert.deepEqual([finished.status, finished.body.error?.code], [409, 'RUN_NOT_MIGRATABLE']);
    });
  });
}
