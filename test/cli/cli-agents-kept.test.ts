import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openAiAnswer, startFakeProvider } from '../fake-provider/fake-provider.js';
import { baton, batonAsync, tempWorkspace } from './cli-helper.js';

const KEY = 'sk-test-agents-kept';
const FLOW = `
agent Writer {
  model: "openai/gpt-4o-mini"
  output: { text: string }
}
flow Two {
  output text: string
  step first: Writer { prompt: "first" }
  approval go {
    prompt: "Write the second?"
  }
  step second: Writer { prompt: "second after \${first.output.text}" }
  set output.text = second.output.text
}
flow Failing {
  output text: string
  step first: Writer { prompt: "first" }
  step second: Writer { prompt: "second after \${first.output.text}" }
  set output.text = second.output.text
}
`;

interface Event {
  type: string;
  runId: string;
  outputs?: Record<string, unknown>;
  agents?: { mode: string; config?: { path: string; sha256: string } };
  switchedFrom?: { mode: string };
}

const events = (stdout: string): Event[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

describe('a run keeps its agents: resume, approve, send and redrive of a real run use real agents without --agents', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  const env = (): Record<string, string> => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: '' });
  before(async () => (fake = await startFakeProvider()));
  after(() => fake.close());
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'two.flow'), FLOW);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } } }));
  });
  afterEach(() => ws.cleanup());

  it('approve without --agents continues a real run with real agents, and records them', async () => {
    fake.script(openAiAnswer('{"text":"real one"}'), openAiAnswer('{"text":"real two"}'));
    const started = await batonAsync(['run', 'two.flow', '--flow', 'Two', '--agents', 'real', '--json'], { cwd: ws.dir, env: env() });
    assert.equal(started.code, 0, started.stderr);
    const first = events(started.stdout);
    const runId = first[0].runId;
    assert.equal(first[0].type, 'run.started');
    assert.equal(first[0].agents?.mode, 'real');
    assert.equal(first[0].agents?.config?.path, path.join(ws.dir, 'baton.config.json'));
    assert.equal(first.at(-1)?.type, 'run.waiting');
    assert.equal(fake.requests.length, 1);

    const approved = await batonAsync(['approve', runId, 'go', '--json'], { cwd: ws.dir, env: env() });
    assert.equal(approved.code, 0, approved.stderr);
    const rest = events(approved.stdout);
    assert.equal(fake.requests.length, 2, 'the second step called the provider');
    assert.deepEqual(rest.at(-1)?.outputs, { text: 'real two' });
    const resumed = rest.find((e) => e.type === 'run.resumed')!;
    assert.equal(resumed.agents?.mode, 'real');
    assert.equal(resumed.switchedFrom, undefined);
    const shown = JSON.parse(baton(['runs', 'show', runId, '--json'], { cwd: ws.dir }).stdout) as { run: { agents: { mode: string } } };
    assert.equal(shown.run.agents.mode, 'real');
  });

  it('the run keeps its baton.config.json: a changed one is used with a note and its new hash recorded; a removed one is refused (exit 2)', async () => {
    fake.script(openAiAnswer('{"text":"real one"}'), openAiAnswer('{"text":"real two"}'));
    const started = await batonAsync(['run', 'two.flow', '--flow', 'Two', '--agents', 'real', '--json'], { cwd: ws.dir, env: env() });
    const first = events(started.stdout)[0];
    const config = path.join(ws.dir, 'baton.config.json');
    writeFileSync(config, JSON.stringify({ providers: { openai: { baseUrl: `${fake.url}/v1` } }, prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } }));
    const approved = await batonAsync(['approve', first.runId, 'go', '--json'], { cwd: ws.dir, env: env() });
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stderr.trim(), `note: ${config} changed since run ${first.runId} recorded it; the run continues with the file as it is now`);
    const resumed = events(approved.stdout).find((e) => e.type === 'run.resumed')!;
    assert.equal(resumed.agents?.config?.path, config);
    assert.notEqual(resumed.agents?.config?.sha256, first.agents?.config?.sha256);
    assert.equal(fake.requests.length, 2);

    fake.script(openAiAnswer('{"text":"real one"}'));
    const again = await batonAsync(['run', 'two.flow', '--flow', 'Two', '--agents', 'real', '--json'], { cwd: ws.dir, env: env() });
    const runId = events(again.stdout)[0].runId;
    rmSync(config);
    const refused = baton(['approve', runId, 'go'], { cwd: ws.dir, env: env() });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`^baton: run ${runId} was started with real agents configured by .*baton\\.config\\.json, which is gone`));
    assert.equal(JSON.parse(baton(['runs', 'show', runId, '--json'], { cwd: ws.dir }).stdout).run.status, 'waiting');
  });

  it('resume after a crash without --agents calls the real provider for the steps left', async () => {
    fake.script(openAiAnswer('{"text":"real one"}'), openAiAnswer('{"text":"real two"}'));
    // BATON_CRASH_AT: the run kills itself (SIGKILL) once step `second` has started
    const crashed = await batonAsync(['run', 'two.flow', '--flow', 'Failing', '--agents', 'real', '--json'], { cwd: ws.dir, env: { ...env(), BATON_CRASH_AT: 'second' } });
    assert.notEqual(crashed.code, 0);
    const runId = events(crashed.stdout)[0].runId;
    const resumed = await batonAsync(['resume', runId, '--json'], { cwd: ws.dir, env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(events(resumed.stdout).at(-1)?.outputs, { text: 'real two' });
    assert.equal(fake.requests.length, 2);
  });

  it('runs redrive without --agents redrives a failed real run with real agents', async () => {
    fake.script(openAiAnswer('{"text":"real one"}'), { status: 400, body: { error: { message: 'bad request' } } }, openAiAnswer('{"text":"real again"}'));
    const failed = await batonAsync(['run', 'two.flow', '--flow', 'Failing', '--agents', 'real', '--json'], { cwd: ws.dir, env: env() });
    assert.equal(failed.code, 1, failed.stderr);
    const runId = events(failed.stdout)[0].runId;
    const redriven = await batonAsync(['runs', 'redrive', runId, '--json'], { cwd: ws.dir, env: env() });
    assert.equal(redriven.code, 0, redriven.stderr);
    assert.deepEqual(events(redriven.stdout).at(-1)?.outputs, { text: 'real again' });
    assert.equal(fake.requests.length, 3);
  });

  it('another --agents is refused before anything is recorded; --switch-agents switches and records the switch', async () => {
    fake.script(openAiAnswer('{"text":"real one"}'));
    const started = await batonAsync(['run', 'two.flow', '--flow', 'Two', '--agents', 'real', '--json'], { cwd: ws.dir, env: env() });
    const runId = events(started.stdout)[0].runId;
    const before = (JSON.parse(baton(['runs', 'show', runId, '--json'], { cwd: ws.dir }).stdout) as { events: unknown[] }).events.length;

    const refused = baton(['approve', runId, 'go', '--agents', 'stub'], { cwd: ws.dir, env: env() });
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim(), `baton: run ${runId} was started with real agents and keeps them: continue it without --agents, or pass --switch-agents to continue it with stub agents (the switch is recorded)`);
    const after = JSON.parse(baton(['runs', 'show', runId, '--json'], { cwd: ws.dir }).stdout) as { run: { status: string }; events: unknown[] };
    assert.equal(after.events.length, before, 'the decision was not recorded');
    assert.equal(after.run.status, 'waiting');

    const switched = baton(['approve', runId, 'go', '--agents', 'stub', '--switch-agents', '--json'], { cwd: ws.dir, env: env() });
    assert.equal(switched.code, 0, switched.stderr);
    const resumed = events(switched.stdout).find((e) => e.type === 'run.resumed')!;
    assert.equal(resumed.agents?.mode, 'stub');
    assert.equal(resumed.switchedFrom?.mode, 'real');
    assert.deepEqual(events(switched.stdout).at(-1)?.outputs, { text: 'Writer.text' });
    assert.equal(fake.requests.length, 1, 'the switched run called no provider');
  });
});
