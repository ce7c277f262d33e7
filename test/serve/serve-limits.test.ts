import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStubAgents, SqliteRunStore } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { runLimits } from '../../packages/cli/src/run-limits.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';

const SECRET = 'whsec-limits';
const FLOWS = `
flow Count {
  trigger webhook "/count"
  input n: number
  output total: number
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.total = 0
  }
}
`;
const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('baton serve: limits.maxFlowDepth bounds the runs it starts', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteRunStore;
  let server: BatonServer;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-limits-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    store = SqliteRunStore.open(path.join(dir, 'runs.db'));
  });
  afterEach(async () => {
    await server?.close();
    store.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [bound, n, status] of [[2, 2, 'succeeded'], [2, 3, 'failed'], [undefined, 3, 'succeeded']] as const) {
    it(`bound ${bound ?? 'default (64)'}, recursion ${n} deep: ${status}; the bound is on run.started`, async () => {
      server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, webhookSecret: SECRET, insecure: false, maxBodyBytes: 4096, agents: createStubAgents({}), schedules: false, timerPollMs: 0, log: () => undefined, ...(bound !== undefined ? { maxFlowDepth: bound } : {}) });
      const body = JSON.stringify({ n });
      const res = await fetch(`${server.url}/count`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
      assert.equal(res.status, 202);
      const { runId } = (await res.json()) as { runId: string };
      await server.idle();
      const run = await store.getRun(runId);
      assert.equal(run.status, status);
      if (status === 'failed') assert.match(run.error!.message, /deeper than the limit of 2 \(limits\.maxFlowDepth/);
      const started = (await store.getEvents(runId)).find((e) => e.type === 'run.started');
      assert.equal(started?.type === 'run.started' && started.maxFlowDepth, bound);
    });
  }
  it('the runs it starts read the prices of baton.config.json in estimate("Flow").costUsd (runLimits, as baton serve passes it)', async () => {
    writeFileSync(path.join(dir, 'priced.flow'), `
agent Writer { model: "openai/gpt-4o-mini" max_tokens: 1000 timeout: 30s }
flow Template {
  step w: Writer { prompt: "x" }
}
flow Priced {
  trigger webhook "/priced"
  output cost: any
  set output.cost = estimate("Template").costUsd
}
`);
    writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } }));
    server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, webhookSecret: SECRET, insecure: false, maxBodyBytes: 4096, agents: createStubAgents({}), schedules: false, timerPollMs: 0, log: () => undefined, ...runLimits(path.join(dir, 'served.flow')) });
    const body = '{}';
    const res = await fetch(`${server.url}/priced`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
    assert.equal(res.status, 202);
    const { runId } = (await res.json()) as { runId: string };
    await server.idle();
    // 1000 tokens × $0.6 per million
    assert.deepEqual((await store.getRun(runId)).outputs, { cost: 0.0006 });
  });
});
