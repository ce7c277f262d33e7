import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatonError, type AgentCaller, type RunRecord, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { serveTenants } from '../../packages/cli/src/commands/serve.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { testServices } from '../cluster/test-services.js';
import { serveStoreKinds } from './serve-store-kinds.js';
import { ACME, sign, startTestServer } from './serve-fixtures.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
agent Fragile { stub: "ok" }
flow Welcome {
  trigger webhook "/welcome"
  input name: string
  step greet: Greeter { prompt: "greet \${input.name}" }
  approval send_it { prompt: "send it?", assignee: "ops" }
}
flow Waiter {
  trigger webhook "/wait"
  wait event "shipment.arrived"
  step after: Greeter { prompt: "arrived" }
}
flow Breaks {
  trigger webhook "/breaks"
  step work: Fragile { prompt: "work" }
}
`;

const GLOBEX = { id: 'globex', apiToken: 'globex-token', webhookSecret: 'globex-secret', rateLimit: { max: 2, perMs: 10_000 } };

const KINDS = serveStoreKinds('baton_t');

for (const kind of KINDS) {
  describe(`baton serve: tenants, through the HTTP API (${kind.name} store)`, function () {
    this.timeout(30_000);
    let dir: string;
    let store: RunStoreApi;
    let server: BatonServer;
    let clock: number;
    let down: boolean;
    const agents: AgentCaller = {
      async call(request) {
        if (request.agent.name === 'Fragile' && down) throw new BatonError('AGENT_UNAVAILABLE', 'fragile is down');
        return { output: request.agent.name === 'Fragile' ? 'ok' : { text: 'hi' }, tokens: 0 };
      },
    };

    before(() => {
      if (kind.name === 'PostgreSQL') testServices();
    });
    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-tenants-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      store = await kind.open(dir);
      clock = Date.parse('2026-12-04T10:00:00.000Z');
      down = false;
      server = await startTestServer(dir, { store, tenants: [ACME, GLOBEX], agents, now: () => new Date(clock) });
    });
    afterEach(async () => {
      await server.close();
      await store.close();
      await kind.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const trigger = (tenant: { webhookSecret: string }, route: string, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      return fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(tenant.webhookSecret, text), ...headers }, body: text });
    };
    const start = async (tenant: { webhookSecret: string }, route: string, body: unknown = {}): Promise<string> => {
      const res = await trigger(tenant, route, body);
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { runId: string }).runId;
    };
    const api = (tenant: { apiToken: string }, route: string, method = 'GET', body?: unknown) =>
      fetch(`${server.url}${route}`, { method, headers: { authorization: `Bearer ${tenant.apiToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> });
    /** Each run's status and event count, as stored (to show nothing changed). */
    const snapshot = async (ids: string[]) => Promise.all(ids.map(async (id) => [(await store.getRun(id)).status, (await store.getEvents(id)).length]));

    it("tenant B can never read, list, approve, send to, cancel or redrive tenant A's run: 404 exactly as for a missing run, nothing recorded", async () => {
      const approval = await start(ACME, '/welcome', { name: 'Ann' });
      const waiting = await start(ACME, '/wait');
      down = true;
      const failed = await start(ACME, '/breaks');
      await server.idle();
      const mine = await start(GLOBEX, '/welcome', { name: 'Bob' });
      await server.idle();
      assert.deepEqual(await snapshot([approval, waiting, failed]).then((s) => s.map(([status]) => status)), ['waiting', 'waiting', 'failed']);
      const before = await snapshot([approval, waiting, failed]);

      const list = await answer(await api(GLOBEX, '/runs'));
      assert.deepEqual((list.body.runs as RunRecord[]).map((r) => [r.id, r.tenant]), [[mine, 'globex']]);
      assert.deepEqual((await answer(await api(GLOBEX, '/runs?status=waiting&flow=Waiter'))).body.runs, []);

      // what a missing run looks like, for comparison
      const missing = (id: string) => ({ status: 404, body: { error: { code: 'RUN_NOT_FOUND', message: `no run with id "${id}" in ${store.location}` } } });
      const ghost = `${approval.slice(0, 20)}ZZZZZZ`;
      assert.deepEqual(await answer(await api(GLOBEX, `/runs/${ghost}`)), missing(ghost));
      // the shortest prefix of A's run that no other run has (ids of one millisecond may share 25 characters)
      const shared = (x: string, y: string) => [...x].findIndex((c, i) => c !== y[i]);
      const prefix = approval.slice(0, Math.max(4, ...[waiting, failed, mine].map((id) => shared(approval, id))) + 1);
      for (const id of [approval, waiting, failed, prefix, approval.toLowerCase()]) {
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}`)), missing(id), `GET /runs/${id}`);
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}/approve`, 'POST', { task: 'send_it' })), missing(id), 'approve');
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}/reject`, 'POST', { task: 'send_it' })), missing(id), 'reject');
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}/events/shipment.arrived`, 'POST', { at: 'dock' })), missing(id), 'send');
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}/cancel`, 'POST')), missing(id), 'cancel');
        assert.deepEqual(await answer(await api(GLOBEX, `/runs/${id}/redrive`, 'POST')), missing(id), 'redrive');
      }
      // an event signed by B reaches B's waiting runs only
      const event = await answer(await trigger(GLOBEX, '/events/shipment.arrived', { at: 'dock' }));
      assert.deepEqual([event.status, event.body.delivered], [202, []]);
      await server.idle();
      assert.deepEqual(await snapshot([approval, waiting, failed]), before, "nothing was recorded on A's runs");

      // A can
      const listed = await answer(await api(ACME, '/runs'));
      assert.deepEqual((listed.body.runs as RunRecord[]).map((r) => [r.id, r.tenant]), [failed, waiting, approval].map((id) => [id, 'acme']));
      const shown = await answer(await api(ACME, `/runs/${prefix}`));
      assert.deepEqual([shown.status, (shown.body.run as RunRecord).id, (shown.body.events as unknown[]).length > 0], [200, approval, true]);
      assert.equal((await api(ACME, `/runs/${approval}/approve`, 'POST', { task: 'send_it' })).status, 202);
      assert.equal((await api(ACME, `/runs/${waiting}/events/shipment.arrived`, 'POST', { at: 'dock' })).status, 202);
      down = false;
      assert.equal((await api(ACME, `/runs/${failed}/redrive`, 'POST')).status, 202);
      await server.idle();
      assert.deepEqual(await snapshot([approval, waiting, failed]).then((s) => s.map(([status]) => status)), ['succeeded', 'succeeded', 'succeeded']);
      const another = await start(ACME, '/wait');
      await server.idle();
      assert.deepEqual(await answer(await api(ACME, `/runs/${another}/cancel`, 'POST')), { status: 202, body: { runId: another, status: 'cancelled' } });
      // and B's own run is B's to decide
      assert.equal((await api(GLOBEX, `/runs/${mine}/approve`, 'POST', { task: 'send_it' })).status, 202);
      await server.idle();
      assert.equal((await store.getRun(mine)).status, 'succeeded');
    });

    it("runs belong to the tenant whose secret signed the trigger; an event reaches only its tenant's waiting runs; start keys are per tenant", async () => {
      const a = await start(ACME, '/wait');
      const b = await start(GLOBEX, '/wait');
      await server.idle();
      assert.deepEqual([(await store.getRun(a)).tenant, (await store.getRun(b)).tenant], ['acme', 'globex']);
      const event = await answer(await trigger(ACME, '/events/shipment.arrived', {}));
      assert.deepEqual(event.body.delivered, [a]);
      await server.idle();
      assert.deepEqual([(await store.getRun(a)).status, (await store.getRun(b)).status], ['succeeded', 'waiting']);

      const keyed = async (tenant: typeof ACME) => answer(await trigger(tenant, '/welcome', { name: 'Kay' }, { 'idempotency-key': 'order-7' }));
      const first = await keyed(ACME);
      const other = await keyed(GLOBEX);
      const again = await keyed(ACME);
      assert.deepEqual([first.status, other.status, again.status], [202, 202, 200]);
      assert.notEqual(other.body.runId, first.body.runId, "one key makes one run per tenant");
      assert.equal(again.body.runId, first.body.runId);
      // a signature no tenant's secret makes, a token no tenant has
      assert.equal((await trigger({ webhookSecret: 'nobody' }, '/wait', {})).status, 401);
      assert.equal((await api({ apiToken: 'acme-token-' }, '/runs')).status, 401);
    });

    it('webhook and event requests beyond a tenant\'s rate limit get 429 with Retry-After (seconds) and store nothing; other tenants and later windows are not limited', async () => {
      await start(GLOBEX, '/wait');
      clock += 4_000;
      await start(GLOBEX, '/wait');
      const count = async () => (await store.listRuns({ tenant: 'globex' })).length;
      const refused = await trigger(GLOBEX, '/wait', {});
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '6', 'the first start leaves the window in 6 s');
      const body = await refused.text();
      assert.doesNotMatch(body, /\n/);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'RATE_LIMITED');
      assert.equal((await trigger(GLOBEX, '/events/shipment.arrived', {})).status, 429, 'events count too');
      assert.equal(await count(), 2, 'nothing stored for a refused request');
      // unsigned requests are not the tenant's: they do not use its budget
      assert.equal((await fetch(`${server.url}/wait`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
      await start(ACME, '/wait');
      await start(ACME, '/wait');
      await start(ACME, '/wait');
      clock += 5_500;
      const soon = await trigger(GLOBEX, '/wait', {});
      assert.deepEqual([soon.status, soon.headers.get('retry-after')], [429, '1'], 'Retry-After rounds up');
      clock += 500;
      await start(GLOBEX, '/wait');
      assert.equal((await trigger(GLOBEX, '/wait', {})).status, 429, 'a sliding window: the second start is still in it');
      clock += 4_000;
      await start(GLOBEX, '/wait');
      await server.idle();
      assert.equal(await count(), 4);
    });
  });
}

describe('baton serve: tenants from baton.config.json (serveTenants)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-tenants-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const config = (tenants: unknown) => writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ tenants }));
  const usage = (env: NodeJS.ProcessEnv, message: RegExp, insecure = false) =>
    assert.throws(() => serveTenants(dir, env, insecure), (e: Error & { exitCode?: number }) => e.constructor.name === 'UsageError' && message.test(e.message), String(message));

  it('maps each tenant to the secrets its variables hold; without tenants, BATON_* are tenant default\'s', () => {
    assert.deepEqual(serveTenants(dir, { BATON_WEBHOOK_SECRET: 's', BATON_API_TOKEN: 't' }, false).map((t) => [t.id, t.webhookSecret, t.apiToken]), [['default', 's', 't']]);
    config({ acme: { webhookSecretEnv: 'ACME_SECRET', apiTokenEnv: 'ACME_TOKEN', rateLimit: { max: 5, perMs: 1000 } } });
    const tenants = serveTenants(dir, { ACME_SECRET: 'as', ACME_TOKEN: 'at' }, false);
    assert.deepEqual(tenants.map((t) => [t.id, t.webhookSecret, t.apiToken, t.rateLimit]), [['default', undefined, undefined, undefined], ['acme', 'as', 'at', { max: 5, perMs: 1000 }]]);
  });

  it('refuses (usage error) a named variable that is unset, two tenants sharing a secret or a token, no secret at all, an invalid config', () => {
    config({ acme: { webhookSecretEnv: 'ACME_SECRET' } });
    usage({ BATON_WEBHOOK_SECRET: 's' }, /baton\.config\.json: tenants\.acme\.webhookSecretEnv names ACME_SECRET, which is not set$/);
    usage({ BATON_WEBHOOK_SECRET: 'same', ACME_SECRET: 'same' }, /^tenants default and acme have the same webhook secret: give each tenant its own$/);
    config({ acme: { apiTokenEnv: 'ACME_TOKEN' }, globex: { apiTokenEnv: 'GLOBEX_TOKEN' } });
    usage({ BATON_WEBHOOK_SECRET: 's', ACME_TOKEN: 't', GLOBEX_TOKEN: 't' }, /^tenants acme and globex have the same API token/);
    usage({ ACME_TOKEN: 't', GLOBEX_TOKEN: 'u' }, /^set BATON_WEBHOOK_SECRET/);
    assert.equal(serveTenants(dir, { ACME_TOKEN: 't', GLOBEX_TOKEN: 'u' }, true).length, 3, '--insecure needs no secret');
    config({ Acme: {} });
    usage({}, /tenants: "Acme" is not a tenant id/);
  });
});
