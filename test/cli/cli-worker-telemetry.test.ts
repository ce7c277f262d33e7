import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTraceIds } from '../../packages/runtime/src/index.js';
import { startOtlpReceiver } from '../fake-provider/otlp-receiver.js';
import { batonAsync, batonLive, tempWorkspace, type LiveBaton } from './cli-helper.js';
import { databasePerTest } from '../cluster/test-services.js';

// `baton worker` traces the runs it executes (OTLP over HTTP to a local receiver): a run that waits for an approval
// decided through a `baton serve --queue` front door and continued on a worker is one trace.

const FLOWS = `agent W { stub: "ok" }
flow Gate {
  trigger webhook "/gate"
  step first: W
  approval go { prompt: "go?" }
  step after: W
}
`;

describe('baton worker: traces of the runs it executes', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const children: LiveBaton[] = [];
  const database = databasePerTest('baton_worker_otel', { queue: true });
  beforeEach(async () => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'gate.flow'), FLOWS);
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await receiver.close();
    ws.cleanup();
  });

  it('a run approved through the front door and continued on the worker: one trace, its spans exported when the worker stops', async () => {
    const env = { BATON_STORE: database.storeUrl, BATON_QUEUE: database.queueUrl };
    const serve = batonLive(['serve', '.', '--insecure', '--port', '0'], { cwd: ws.dir, env });
    children.push(serve);
    const banner = await serve.waitForLine((l) => l.startsWith('baton serve'));
    const url = /http:\/\/[\d.:]+/.exec(banner)![0];
    const worker = batonLive(['worker', '--reconcile-every', '1s'], { cwd: ws.dir, env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    children.push(worker);
    await worker.waitForLine((l) => l.startsWith('baton worker'));
    const answer = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(answer.status, 202);
    const { runId } = (await answer.json()) as { runId: string };
    const statusOf = async (): Promise<string | undefined> => {
      const r = await batonAsync(['runs', 'list', '--json'], { cwd: ws.dir, env });
      return (JSON.parse(r.stdout) as { id: string; status: string }[]).find((run) => run.id === runId)?.status;
    };
    while ((await statusOf()) !== 'waiting') await new Promise((r) => setTimeout(r, 100));
    const decided = await fetch(`${url}/runs/${runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"task":"go"}' });
    assert.equal(decided.status, 202);
    while ((await statusOf()) !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.stderr());
    const spans = receiver.spans.filter((s) => s.traceId === runTraceIds(runId).traceId);
    assert.deepEqual(spans.map((s) => s.name).sort(), ['invoke_agent W', 'invoke_agent W', 'run Gate', 'step after', 'step first', 'wait approval go']);
    const run = spans.find((s) => s.name === 'run Gate')!;
    assert.equal(run.spanId, runTraceIds(runId).spanId);
    for (const s of spans.filter((x) => x.name !== 'run Gate' && !x.name.startsWith('invoke_agent'))) assert.equal(s.parentSpanId, run.spanId, s.name);
    assert.equal(spans.find((s) => s.name === 'wait approval go')!.attributes['baton.wait.outcome'], 'approved');
  });
});
