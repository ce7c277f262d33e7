import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent, WorkflowDefinition } from '../../packages/protocol/src/index.js';
import { definitionHash, runTraceIds, type RunRecord, type RunStats, type RunStoreApi } from '../../packages/runtime/src/index.js';
import type { BatonServer, ServeOptions } from '../../packages/cli/src/serve/server.js';
import { serveStoreKinds } from './serve-store-kinds.js';
import { ACME, startTestServer } from './serve-fixtures.js';

/** The console's reads of the runs API through HTTP, on both stores: keyset pages and filters, a run, its events, /flows, /stats. */

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
/** Buys something, once approved. */
flow Purchase {
  trigger webhook "/purchase"
  trigger event "purchase.requested"
  input item: string
  input count: number = 1
  input rush: boolean = false
  sla 4h
  approval sign_off { prompt: "buy \${input.item}?" }
  step thank: Greeter { prompt: "thanks" }
}
flow Nightly {
  trigger schedule "0 3 * * *"
  step sweep: Greeter { prompt: "sweep" }
}
`;
const DEFINITION: WorkflowDefinition = { version: 1, files: ['/x/a.flow'], agents: {}, flows: {}, tests: [] };

/** The creation time (ms) a run id (a ULID) carries in its first 10 characters. */
function idTime(id: string): number {
  return [...id.slice(0, 10)].reduce((n, c) => n * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c), 0);
}

/** The nearest-rank percentile: the value at rank ceil(p·n) of the sorted values. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1];
}

const KINDS = serveStoreKinds('baton_r');

for (const kind of KINDS) {
  describe(`baton serve: the runs API's console reads (${kind.name} store)`, function () {
    this.timeout(120_000);
    let dir: string;
    let store: RunStoreApi;
    let server: BatonServer;
    let clock: number;

    const boot = async (extra: Partial<ServeOptions> = {}) => {
      server = await startTestServer(dir, { store, now: () => new Date(clock), ...extra });
    };
    const get = async (route: string, token = 'acme-token') => {
      const res = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
    };
    const ok = async <T>(route: string, token = 'acme-token'): Promise<T> => {
      const { status, body } = await get(route, token);
      assert.equal(status, 200, `${route}: ${JSON.stringify(body)}`);
      return body as T;
    };
    /**
     * A run stored directly (the list reads what is stored): `flow`, tenant, inputs, and an end when `status` is one —
     * else it waits (a run left `running` would be taken for one a crash left, and executed when the server starts).
     */
    const create = async (flow: string, tenant: string, inputs: Record<string, string | number> = {}, status?: 'succeeded' | 'failed' | 'cancelled', durationMs = 0): Promise<string> => {
      const startedAt = new Date().toISOString();
      const { id } = await store.createRun({ flow, inputs, definition: DEFINITION, startedAt, tenant, status: 'running' });
      await store.updateRun(id, status ? { status, finishedAt: new Date(Date.parse(startedAt) + durationMs).toISOString() } : { status: 'waiting' });
      return id;
    };

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-runs-api-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      store = await kind.open(dir);
      clock = Date.now();
    });
    afterEach(async () => {
      await server?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('pages through 2,500 runs with next: each run exactly once, newest first; filters by flow, status, time range and text; another tenant\'s runs never listed', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2500; i++) ids.push(await create(i % 5 === 0 ? 'Nightly' : 'Purchase', 'acme', { item: i === 1234 ? 'golden-widget' : `item-${i}` }, i % 3 === 0 ? 'succeeded' : i % 3 === 1 ? 'failed' : undefined));
      const foreign = await create('Purchase', 'globex', { item: 'golden-widget' });
      // read before the server starts: 2,500 reads on this thread would leave its kept-alive connection idle for long
      const records = await Promise.all(ids.map((id) => store.getRun(id)));
      await boot();
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const page = await ok<{ runs: RunRecord[]; next?: string }>(`/runs?limit=300${next ? `&before=${next}` : ''}`);
        seen.push(...page.runs.map((r) => r.id));
        next = page.next;
        pages++;
      } while (next);
      assert.equal(pages, 9);
      assert.deepEqual(seen, [...ids].reverse(), 'every run once, newest first');
      assert.ok(!seen.includes(foreign));

      const all = async (query: string) => {
        const found: RunRecord[] = [];
        let before: string | undefined;
        do {
          const page = await ok<{ runs: RunRecord[]; next?: string }>(`/runs?limit=1000&${query}${before ? `&before=${before}` : ''}`);
          found.push(...page.runs);
          before = page.next;
        } while (before);
        return found.map((r) => r.id);
      };
      const expect = (keep: (r: RunRecord) => boolean) => records.filter(keep).map((r) => r.id).reverse();
      assert.deepEqual(await all('flow=Nightly'), expect((r) => r.flow === 'Nightly'));
      assert.deepEqual(await all('status=failed&flow=Purchase'), expect((r) => r.status === 'failed' && r.flow === 'Purchase'));
      // a time range is an id range: runs created in [from, to)
      const from = idTime(ids[700]);
      const to = idTime(ids[1800]);
      assert.deepEqual(await all(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`), expect((r) => idTime(r.id) >= from && idTime(r.id) < to));
      assert.deepEqual(await all('q=golden-widget'), [ids[1234]]);
      assert.deepEqual(await all('q=GOLDEN-widget&status=failed'), [ids[1234]], 'case-insensitive');
      assert.deepEqual(await all('q=golden-widget&status=succeeded'), [], 'run 1234 failed');
    });

    it('bad query parameters get 400 BAD_QUERY naming the parameter', async () => {
      await boot();
      for (const [query, says] of [
        ['status=done', /^status must be one of queued, running/],
        ['limit=0', /^limit must be a whole number from 1 to 1000/],
        ['limit=abc', /^limit must be/],
        ['from=yesterday', /^from must be an ISO 8601 time/],
        ['from=2026-12-05&to=2026-12-04', /^from \(2026-12-05T00:00:00.000Z\) must be before to/],
        ['q=ab', /^q must be 3 to 200 characters/],
        ['before=not-a-run', /^before must be a run id/],
        ['flow=', /^flow= needs a flow name/],
      ] as const) {
        const { status, body } = await get(`/runs?${query}`);
        assert.deepEqual([status, body.error?.code], [400, 'BAD_QUERY'], query);
        assert.match(body.error!.message, says, query);
      }
      const id = await create('Purchase', 'acme');
      assert.deepEqual((await get(`/runs/${id}?events=maybe`)).body.error?.code, 'BAD_QUERY');
      assert.deepEqual((await get(`/runs/${id}/events?after=-1`)).body.error?.code, 'BAD_QUERY');
      assert.deepEqual((await get(`/runs/${id}/events?limit=5001`)).body.error?.code, 'BAD_QUERY');
      assert.deepEqual((await get('/stats?from=2026-01-01&to=2027-06-01')).body.error?.message, 'the window from … to is at most 366 days');
      assert.deepEqual((await get('/stats?bucket=hour')).body.error?.code, 'BAD_QUERY');
    });

    it('a run: its definition (hash, available), trace id and link, its events (or not: ?events=0), and its events by pages after a seq', async () => {
      await boot({ traceUrl: 'http://jaeger.local:16686/trace/{traceId}' });
      const text = JSON.stringify({ item: 'desk' });
      const { createHmac } = await import('node:crypto');
      const res = await fetch(`${server.url}/purchase`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', ACME.webhookSecret).update(text).digest('hex')}` }, body: text });
      const { runId } = (await res.json()) as { runId: string };
      await server.idle();
      const stored = await store.getEvents(runId);
      const full = await ok<{ run: RunRecord; events: RunEvent[]; definition: { hash: string; available: boolean }; traceId: string; traceUrl: string }>(`/runs/${runId}`);
      assert.equal(full.run.id, runId);
      assert.deepEqual(full.events, stored);
      assert.deepEqual(full.definition, { hash: definitionHash(await store.getDefinition(runId)), available: true });
      assert.equal(full.traceId, runTraceIds(runId).traceId);
      assert.equal(full.traceUrl, `http://jaeger.local:16686/trace/${runTraceIds(runId).traceId}`);
      const bare = await ok<Record<string, unknown>>(`/runs/${runId}?events=0`);
      assert.deepEqual(Object.keys(bare).sort(), ['definition', 'run', 'traceId', 'traceUrl']);

      const first = await ok<{ events: RunEvent[]; next?: number }>(`/runs/${runId}/events?limit=2`);
      assert.deepEqual(first, { events: stored.slice(0, 2), next: 2 });
      const rest = await ok<{ events: RunEvent[]; next?: number }>(`/runs/${runId}/events?after=2&limit=1000`);
      assert.deepEqual(rest, { events: stored.slice(2) });
      // another tenant's run is a missing one
      assert.equal((await get(`/runs/${runId}/events`, 'globex-token')).status, 404);
      assert.equal((await get(`/runs/${runId}`, 'globex-token')).status, 404);
    });

    it('GET /flows: the served flows with their typed inputs, defaults, doc, triggers and SLA, each once, files named relative to the served folder', async () => {
      await boot();
      const { flows } = await ok<{ flows: unknown[] }>('/flows');
      assert.deepEqual(flows, [
        { name: 'Nightly', file: 'flows.flow', triggers: [{ kind: 'schedule', cron: '0 3 * * *' }], inputs: [] },
        {
          name: 'Purchase',
          file: 'flows.flow',
          doc: 'Buys something, once approved.',
          triggers: [
            { kind: 'webhook', path: '/purchase' },
            { kind: 'event', event: 'purchase.requested' },
          ],
          inputs: [
            { name: 'item', type: { kind: 'string' } },
            { name: 'count', type: { kind: 'number' }, default: 1 },
            { name: 'rush', type: { kind: 'boolean' }, default: false },
          ],
          slaMs: 4 * 3600_000,
        },
      ]);
      assert.equal((await fetch(`${server.url}/flows`)).status, 401);
    });

    it('GET /stats: the figures equal a fold of the stored runs computed here; the tenant\'s only; the same answer for 30 s', async () => {
      const from = new Date(Date.now() - 1000).toISOString();
      const made: { flow: string; status?: 'succeeded' | 'failed' | 'cancelled'; ms: number }[] = [];
      for (let i = 0; i < 40; i++) made.push({ flow: i % 4 === 0 ? 'Nightly' : 'Purchase', status: i % 9 === 0 ? undefined : i % 5 === 0 ? 'failed' : i % 7 === 0 ? 'cancelled' : 'succeeded', ms: ((i * 37) % 40) * 100 });
      for (const m of made) await create(m.flow, 'acme', {}, m.status, m.ms);
      await create('Purchase', 'globex', {}, 'failed', 5);
      const to = new Date(Date.now() + 60_000).toISOString();
      await boot();
      const query = `/stats?from=${from}&to=${to}`;
      const stats = await ok<RunStats>(query);
      for (const flow of ['Nightly', 'Purchase']) {
        const runs = made.filter((m) => m.flow === flow);
        const ended = runs.filter((m) => m.status);
        const byStatus: Record<string, number> = {};
        for (const r of runs) byStatus[r.status ?? 'waiting'] = (byStatus[r.status ?? 'waiting'] ?? 0) + 1;
        const got = stats.flows.find((f) => f.flow === flow)!;
        assert.deepEqual(
          { runs: got.runs, byStatus: got.byStatus, successRate: got.successRate, p50Ms: got.p50Ms, p95Ms: got.p95Ms, deadLetters: got.deadLetters },
          { runs: runs.length, byStatus, successRate: ended.filter((r) => r.status === 'succeeded').length / ended.length, p50Ms: nearestRank(ended.map((r) => r.ms), 0.5), p95Ms: nearestRank(ended.map((r) => r.ms), 0.95), deadLetters: runs.filter((r) => r.status === 'failed').length },
          flow,
        );
      }
      assert.equal(stats.flows.length, 2, "globex's run is not acme's");
      assert.equal(stats.days.reduce((n, d) => n + d.runs, 0), 40);
      // one flow only
      assert.deepEqual((await ok<RunStats>(`${query}&flow=Nightly`)).flows.map((f) => f.flow), ['Nightly']);
      // a new run is counted once the cached answer is 30 s old
      await create('Nightly', 'acme', {}, 'succeeded', 1);
      assert.equal((await ok<RunStats>(query)).days.reduce((n, d) => n + d.runs, 0), 40, 'cached');
      clock += 30_000;
      assert.equal((await ok<RunStats>(query)).days.reduce((n, d) => n + d.runs, 0), 41, 'read again');
    });
  });
}
