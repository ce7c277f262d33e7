import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveUntilBanner } from '../cli/cli-helper.js';
import { openAiAnswer, startFakeProvider } from '../fake-provider/fake-provider.js';
import { startOtlpReceiver } from '../fake-provider/otlp-receiver.js';

const FLOWS = `
agent Writer {
  model: "ollama/llama3"
}
agent Worker {
  model: "http/worker"
}
agent Broken {
  model: "http/broken"
}
flow Good {
  trigger webhook "/good"
  step draft: Writer { prompt: "draft" }
  step book: Worker { prompt: "book", retry: 2 backoff 10ms max 50ms }
}
flow Bad {
  trigger webhook "/bad"
  step refuse: Broken { prompt: "x" }
}
`;

/** Starts `baton serve` (the built bin) and resolves with its process and URL once its banner is printed (to its metrics line). */
async function serve(dir: string, args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string; banner: () => string }> {
  const { child, url, stdout } = await serveUntilBanner([dir, '--port', '0', '--store', path.join(dir, 'runs.db'), ...args], { env, until: 'metrics:', timeoutMs: 60_000 });
  return { child, url, banner: stdout };
}

/** Prometheus' text format → `name{label="v",…}` (labels sorted) → value; comments skipped. */
function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
    values.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1], Number(m[3]));
  }
  return values;
}

describe('baton serve: Prometheus metrics at GET /metrics', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>> | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-metrics-'));
    fake = await startFakeProvider();
    writeFileSync(path.join(dir, 'shop.flow'), FLOWS);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fake.close();
    await receiver?.close();
    receiver = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts known runs: started, finished by status, step durations, retries, tokens (input/output/total), cost, dead letters, queue gauges', async () => {
    writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({
      providers: { ollama: { baseUrl: `${fake.url}/v1` } },
      endpoints: { worker: { url: `${fake.url}/agent` }, broken: { url: `${fake.url}/broken` } },
      prices: { 'ollama/llama3': { input: 1, output: 2 } },
    }));
    // the model answers with 11 input and 7 output tokens; the worker fails each run's first call (503) and answers the retry with 4 tokens; broken refuses (400)
    fake.script((request) => {
      if (request.path === '/broken') return { status: 400, body: { error: 'no' } };
      if (request.path === '/agent') return (request.body as { callIndex: number }).callIndex % 2 === 0 ? { status: 503, body: { error: 'busy' } } : { body: { output: 'booked', tokens: 4 } };
      return openAiAnswer('a draft', { prompt_tokens: 11, completion_tokens: 7 });
    });
    // the executor thread also traces what it executes, and exports it when the server stops
    receiver = await startOtlpReceiver();
    const server = await serve(dir, ['--insecure', '--agents', 'real'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    child = server.child;
    for (const hook of ['/good', '/bad', '/good', '/bad', '/good']) {
      const res = await fetch(`${server.url}${hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 202);
    }
    // the samples reach the HTTP thread once the runs' last events are stored: wait for the five ends
    let metrics = new Map<string, number>();
    for (;;) {
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      metrics = parseExposition(await res.text());
      const ended = [...metrics].filter(([k]) => k.startsWith('baton_runs_finished_total{')).reduce((n, [, v]) => n + v, 0);
      if (ended === 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const expect = (key: string, value: number): void => assert.equal(metrics.get(key), value, `${key} in\n${[...metrics].filter(([k]) => k.startsWith('baton_')).map(([k, v]) => `${k} ${v}`).join('\n')}`);
    expect('baton_runs_started_total{flow="Good"}', 3);
    expect('baton_runs_started_total{flow="Bad"}', 2);
    expect('baton_runs_finished_total{flow="Good",status="succeeded"}', 3);
    expect('baton_runs_finished_total{flow="Bad",status="failed"}', 2);
    expect('baton_dead_letters_total{flow="Bad"}', 2);
    expect('baton_step_retries_total{flow="Good",step="book"}', 3);
    expect('baton_tokens_total{flow="Good",type="input"}', 33);
    expect('baton_tokens_total{flow="Good",type="output"}', 21);
    expect('baton_tokens_total{flow="Good",type="total"}', 12);
    expect('baton_step_duration_seconds_count{flow="Good",status="succeeded",step="book"}', 3);
    expect('baton_step_duration_seconds_count{flow="Good",status="succeeded",step="draft"}', 3);
    expect('baton_step_duration_seconds_count{flow="Bad",status="failed",step="refuse"}', 2);
    expect('baton_step_duration_seconds_bucket{flow="Good",le="+Inf",status="succeeded",step="book"}', 3);
    expect('baton_runs_active', 0);
    expect('baton_runs_queued', 0);
    const cost = metrics.get('baton_cost_usd_total{flow="Good"}')!;
    assert.ok(Math.abs(cost - 3 * (11 * 1 + 7 * 2) / 1e6) < 1e-12, `cost ${cost}`);
    assert.ok(![...metrics.keys()].some((k) => /runId|run_id|01[0-9A-HJKMNP-TV-Z]{24}/.test(k)), 'no run id is a label');
    const stopped = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await stopped;
    const runs = receiver.spans.filter((sp) => sp.name.startsWith('run '));
    assert.deepEqual(runs.map((sp) => sp.name).sort(), ['run Bad', 'run Bad', 'run Good', 'run Good', 'run Good']);
    assert.equal(receiver.spans.filter((sp) => sp.name === 'chat llama3').length, 3);
  });

  it('asks for an API token unless telemetry.metrics.public; other methods are refused with 405', async () => {
    const env = { BATON_API_TOKEN: 'metrics-token-1', BATON_WEBHOOK_SECRET: 'hook-secret-1' };
    const server = await serve(dir, [], env);
    child = server.child;
    assert.match(server.banner(), /metrics: \/metrics \(Prometheus; API token\)/);
    const none = await fetch(`${server.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-1' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^# HELP baton_runs_started_total /m);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', headers: { authorization: 'Bearer metrics-token-1' } });
    assert.equal(post.status, 405);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
    const stopped = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await stopped;

    writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ telemetry: { metrics: { public: true } } }));
    const open = await serve(dir, [], env);
    child = open.child;
    assert.match(open.banner(), /metrics: \/metrics \(Prometheus; public: telemetry\.metrics\.public\)/);
    const anyone = await fetch(`${open.url}/metrics`);
    assert.equal(anyone.status, 200);
    assert.match(await anyone.text(), /^baton_runs_active 0$/m);
    const runs = await fetch(`${open.url}/runs`);
    assert.equal(runs.status, 401, 'the runs API still asks for its token');
    await runs.body?.cancel();
  });
});
