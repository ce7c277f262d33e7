import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { createRunMetricsObserver, SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { ServeMetrics } from '../../packages/cli/src/serve/metrics.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { ACME, sign, startTestServer } from './serve-fixtures.js';

// baton serve and SLAs: its timer poll records the breaches due and counts them at /metrics
// (baton_sla_breaches_total{flow,kind}); an event sent through the runs API records who sent it.

const FLOWS = `
agent Greeter { stub: "hi" }
flow Purchase {
  trigger webhook "/purchase"
  sla 2h
  approval manager { prompt: "buy?", sla: 30m }
  wait event "delivered"
  step thank: Greeter { prompt: "thanks" }
}
`;

const TENANT = ACME;
const M = 60_000;

/** `name{labels}` → value of the exposition's samples of `name`. */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`)) out[line.slice(name.length, line.lastIndexOf(' '))] = Number(line.slice(line.lastIndexOf(' ') + 1));
  return out;
}

describe('baton serve: SLA breaches at /metrics; who sent an event', function () {
  this.timeout(30_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;
  let metrics: ServeMetrics;
  let clock: number;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-sla-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    store = SqliteRunStore.open(path.join(dir, 'runs.db'));
    metrics = new ServeMetrics();
    clock = Date.parse('2026-01-05T10:00:00.000Z');
    server = await startTestServer(dir, { store, tenants: [TENANT], now: () => new Date(clock), metrics, metricsPublic: true });
  });
  afterEach(async () => {
    await server?.close();
    metrics.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (): Promise<string> => {
    const body = JSON.stringify({});
    const res = await fetch(`${server.url}/purchase`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(TENANT.webhookSecret, body) }, body });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };
  const scrape = async (): Promise<Record<string, number>> => samples(await (await fetch(`${server.url}/metrics`)).text(), 'baton_sla_breaches_total');
  const breaches = async (id: string): Promise<string[]> => (await store.getEvents(id)).flatMap((e) => (e.type === 'sla.breached' ? [e.key] : []));

  it("the timer poll records each due breach once and counts it by flow and kind; the run waits on", async () => {
    const id = await start();
    await server.idle();
    assert.equal((await store.getRun(id)).status, 'waiting');
    await server.timers.poll(clock + 29 * M);
    assert.deepEqual(await scrape(), {});
    await server.timers.poll(clock + 31 * M);
    await server.timers.poll(clock + 32 * M);
    assert.deepEqual(await scrape(), { '{flow="Purchase",kind="approval"}': 1 });
    await server.timers.poll(clock + 121 * M);
    assert.deepEqual(await scrape(), { '{flow="Purchase",kind="approval"}': 1, '{flow="Purchase",kind="flow"}': 1 });
    assert.deepEqual(await breaches(id), ['approval:manager', 'flow']);
    assert.equal((await store.getRun(id)).status, 'waiting', 'a breach cancels nothing');
  });

  it('a breach the engine found late (an executing thread\'s sla.breached) is counted too', async () => {
    const observer = createRunMetricsObserver(metrics.channel);
    try {
      const base = { runId: 'r1', time: new Date(clock).toISOString() };
      observer.observe({ ...base, seq: 1, type: 'run.started', flow: 'Purchase', inputs: {} } as RunEvent);
      observer.observe({ ...base, seq: 2, type: 'sla.breached', key: 'flow', node: 'Purchase', slaMs: 7_200_000, deadline: base.time, scope: '' } as RunEvent);
      const end = Date.now() + 5000;
      while (!(await scrape())['{flow="Purchase",kind="flow"}'] && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(await scrape(), { '{flow="Purchase",kind="flow"}': 1 });
    } finally {
      observer.close();
    }
  });

  it('POST /runs/:id/events/:name records the authenticated caller as by (kept before the wait: on event.buffered, then on the event.received that takes it)', async () => {
    const id = await start();
    await server.idle();
    const send = await fetch(`${server.url}/runs/${id}/events/delivered`, { method: 'POST', headers: { authorization: `Bearer ${TENANT.apiToken}`, 'content-type': 'application/json', 'x-baton-user': 'someone-else' }, body: JSON.stringify({ box: 1 }) });
    assert.equal(send.status, 202, await send.clone().text());
    const kept = (await store.getEvents(id)).find((e) => e.type === 'event.buffered');
    assert.equal(kept?.type === 'event.buffered' && kept.by, 'api-token:acme');
    const decide = await fetch(`${server.url}/runs/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${TENANT.apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ task: 'manager' }) });
    assert.equal(decide.status, 202);
    await server.idle();
    const received = (await store.getEvents(id)).find((e) => e.type === 'event.received');
    assert.equal(received?.type === 'event.received' && received.by, 'api-token:acme');
    assert.equal((await store.getRun(id)).status, 'succeeded');
  });
});
