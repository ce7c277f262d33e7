import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTraceIds } from '../../packages/runtime/src/index.js';
import { startOtlpReceiver } from '../fake-provider/otlp-receiver.js';
import { baton, batonAsync, tempWorkspace } from './cli-helper.js';

const FLOW = `
agent Clerk {
  stub: { answer: "ok" }
}
flow Ship {
  step pack: Clerk { prompt: "pack" }
  step send: Clerk { prompt: "send" }
}
`;

describe('baton run: traces exported to an OTLP/HTTP endpoint before the process exits', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  beforeEach(async () => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'ship.flow'), FLOW);
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    ws.cleanup();
  });

  const runIdOf = (stdout: string): string => {
    const started = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; runId: string }).find((e) => e.type === 'run.started');
    assert.ok(started, stdout);
    return started.runId;
  };

  it('OTEL_EXPORTER_OTLP_ENDPOINT: a short run’s spans (run, steps, agent calls) reach the collector when baton run exits', async () => {
    const result = await batonAsync(['run', 'ship.flow', '--json'], { cwd: ws.dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'shipping' } });
    assert.equal(result.code, 0, result.stderr);
    const runId = runIdOf(result.stdout);
    // received before the process exited: nothing is waited for here
    const names = receiver.spans.map((s) => s.name).sort();
    assert.deepEqual(names, ['invoke_agent Clerk', 'invoke_agent Clerk', 'run Ship', 'step pack', 'step send']);
    const run = receiver.spans.find((s) => s.name === 'run Ship')!;
    assert.equal(run.traceId, runTraceIds(runId).traceId);
    assert.equal(run.attributes['baton.run.id'], runId);
    assert.equal(run.resource['service.name'], 'shipping');
    for (const step of receiver.spans.filter((s) => s.name.startsWith('step '))) assert.equal(step.parentSpanId, run.spanId);
  });

  it('telemetry.otlp.endpoint in baton.config.json; without any endpoint nothing is sent', async () => {
    const quiet = await batonAsync(['run', 'ship.flow'], { cwd: ws.dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(receiver.spans.length, 0);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ telemetry: { otlp: { endpoint: `${receiver.url}/` } } }));
    const traced = await batonAsync(['run', 'ship.flow', '--json'], { cwd: ws.dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } });
    assert.equal(traced.code, 0, traced.stderr);
    const runId = runIdOf(traced.stdout);
    assert.equal(receiver.spans.filter((s) => s.name === 'run Ship' && s.attributes['baton.run.id'] === runId).length, 1);
    assert.equal(receiver.spans.find((s) => s.name === 'run Ship')!.resource['service.name'], 'baton');
  });

  it('a telemetry header from an unset variable is a usage error naming it (exit 2)', () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ telemetry: { otlp: { endpoint: receiver.url, headersFromEnv: { authorization: 'COLLECTOR_TOKEN' } } } }));
    const result = baton(['run', 'ship.flow'], { cwd: ws.dir, env: { COLLECTOR_TOKEN: '' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^baton: .*baton\.config\.json: telemetry\.otlp\.headersFromEnv sends the header authorization from the environment variable COLLECTOR_TOKEN, which is not set\n$/);
  });
});
