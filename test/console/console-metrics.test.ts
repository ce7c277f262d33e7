import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { formatDuration, formatTokens, runStateFrom } from '../../packages/protocol/src/run-view.js';
import { BatonError, type AgentCaller, type RunRecord } from '../../packages/runtime/src/index.js';
import { ConsoleHarness, ROOT, type ConsolePage } from './console-harness.js';

/** The metrics page (`#/metrics`) in a real browser: its numbers against the store's runs, folded here. */

const FLOWS = `
agent Writer { stub: { text: "w" }, output: { text: string } }
agent Checker { stub: { text: "c" }, output: { text: string } }
flow Order {
  trigger webhook "/order"
  input n: number
  step draft: Writer { prompt: "Draft \${input.n}", retry: 2 backoff 1ms }
  step check: Checker { prompt: "Check" }
}
flow Ping {
  trigger webhook "/ping"
  step pong: Writer { prompt: "pong" }
}
`;
const SHOTS = path.join(ROOT, 'out', 'console-shots');
mkdirSync(SHOTS, { recursive: true });

/** Calls of these agents fail retryably (`AGENT_UNAVAILABLE`) this many more times. */
const failing = new Map<string, number>();
const agents: AgentCaller = {
  call: async (request) => {
    const name = request.agent.name;
    const fails = failing.get(name) ?? 0;
    if (fails > 0) {
      failing.set(name, fails - 1);
      throw new BatonError('AGENT_UNAVAILABLE', `${name} is unavailable (the test asked it to be)`);
    }
    return { output: { text: `${name} done` }, tokens: name === 'Writer' ? 12 : 5 };
  },
};

/** Nearest rank (the store's definition): the value at rank ceil(p·n) of the sorted values. */
function nearestRank(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

async function clean(p: ConsolePage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violation');
  assert.deepEqual(p.offOrigin(), [], "no request off the server's origin");
  assert.deepEqual(p.errors, [], 'no console error');
}

describe('the console in a browser: the metrics page', function () {
  this.timeout(120_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }, { name: 'vic', roles: ['viewer'] }], serve: { agents } }));
  after(() => harness.stop());

  const start = async (flow: string, inputs: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${harness.url}/runs`, { method: 'POST', headers: { authorization: 'Bearer oscar-token', 'content-type': 'application/json', 'x-baton-action-id': crypto.randomUUID() }, body: JSON.stringify({ flow, inputs }) });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };

  it("shows the window's runs, success rate, percentiles, tokens, retries and dead letters as the store has them, each linking to the runs it counts", async () => {
    // Order: 4 runs — one retried once, one failed after its retries (a dead letter); Ping: 2 runs
    for (let n = 0; n < 4; n++) {
      if (n === 1) failing.set('Writer', 1);
      if (n === 3) failing.set('Writer', 3);
      await start('Order', { n });
      await harness.server.idle();
    }
    for (let n = 0; n < 2; n++) await start('Ping', {});
    await harness.server.idle();

    // the store's figures, folded here from the runs and their events
    const runs: RunRecord[] = await harness.store.listRuns({ limit: 100 });
    const orders = runs.filter((r) => r.flow === 'Order');
    const succeeded = orders.filter((r) => r.status === 'succeeded').length;
    const failed = orders.filter((r) => r.status === 'failed').length;
    assert.deepEqual([orders.length, succeeded, failed], [4, 3, 1]);
    const models = await Promise.all(orders.map(async (r) => runStateFrom(await harness.store.getEvents(r.id))));
    const retries = models.reduce((sum, m) => sum + [...m.steps.values()].reduce((s, st) => s + st.attemptCount - 1, 0), 0);
    const tokens = models.map((m) => m.totals.tokens);
    const durations = orders.filter((r) => r.finishedAt).map((r) => Date.parse(r.finishedAt!) - Date.parse(r.startedAt));

    const p = await harness.open('#/metrics?flow=Order&window=24h');
    try {
      await p.signIn('oscar');
      const page = p.page;
      const kpi = (name: string) => page.locator(`.kpis [data-kpi="${name}"]`);
      await kpi('runs').waitFor();
      assert.equal(await kpi('runs').innerText(), String(orders.length));
      assert.equal(await kpi('success-rate').innerText(), `${((100 * succeeded) / (succeeded + failed)).toFixed(1)} %`);
      assert.equal(await kpi('retries').innerText(), String(retries));
      assert.equal(await kpi('dead-letters').innerText(), String(failed));
      assert.equal(await kpi('tokens').innerText(), formatTokens(Math.round(tokens.reduce((a, b) => a + b, 0) / tokens.length)));
      assert.equal(await kpi('p50').innerText(), formatDuration(nearestRank(durations, 0.5)!));
      assert.equal(await kpi('p95').innerText(), formatDuration(nearestRank(durations, 0.95)!));
      // every number links to the runs list filtered to what it counts
      const link = async (name: string) => new URLSearchParams((await kpi(name).locator('xpath=..').getAttribute('href'))!.split('?')[1]);
      const dead = await link('dead-letters');
      assert.deepEqual([dead.get('flow'), dead.get('status'), dead.get('range')], ['Order', 'failed', '24h']);
      assert.equal((await link('runs')).get('flow'), 'Order');
      // all flows: the counts add up, one row per flow
      await page.locator('.mp-flow').selectOption('');
      await page.locator('.mp-flows tr[data-flow="Ping"]').waitFor();
      await page.locator('.kpis [data-kpi="runs"]', { hasText: String(runs.length) }).waitFor();
      assert.equal(await page.locator('.mp-flows tr[data-flow="Ping"] [data-kpi="runs"]').innerText(), '2');
      assert.equal(await page.locator('.mp-flows tr[data-flow="Order"] [data-kpi="dead-letters"]').innerText(), '1');
      await page.locator('.chart canvas').first().waitFor();
      assert.equal(await page.locator('.chart .uplot').count(), 4, 'four charts');
      await clean(p);
    } finally {
      await p.close();
    }
    for (const theme of ['light', 'dark'] as const) {
      const shot = await harness.open('#/metrics?flow=Order&window=7d', { theme });
      try {
        await shot.signIn('vic');
        await shot.page.locator('.chart .uplot').nth(3).waitFor();
        await shot.page.screenshot({ path: path.join(SHOTS, `metrics-${theme}.png`), fullPage: true });
        await clean(shot);
      } finally {
        await shot.close();
      }
    }
  });
});
