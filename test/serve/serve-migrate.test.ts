import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { planFor, servedMigrationTarget } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer, type ServeTenant } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { testServices } from '../cluster/test-services.js';

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

const ACME = { id: 'acme', apiToken: 'acme-token', webhookSecret: 'acme-secret' };
const GLOBEX = { id: 'globex', apiToken: 'globex-token', webhookSecret: 'globex-secret' };
const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let admin: pg.Pool | undefined;
const schemas: string[] = [];
const KINDS = [
  { name: 'SQLite', open: async (dir: string): Promise<RunStoreApi> => SqliteRunStore.open(path.join(dir, 'runs.db')), drop: async () => undefined },
  {
    name: 'PostgreSQL',
    open: async (): Promise<RunStoreApi> => {
      const schema = `baton_m_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return PgRunStore.open(testServices().pgUrl, { schema });
    },
    drop: async () => {
      admin ??= new pg.Pool({ connectionString: testServices().pgUrl, max: 1 });
      for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  },
];
after(async () => {
  await admin?.end();
  admin = undefined;
});

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
      const tenants: ServeTenant[] = [ACME, GLOBEX];
      server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, tenants, insecure: false, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, log: () => undefined, migrationTarget: servedMigrationTarget(dir, tenants) });
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
