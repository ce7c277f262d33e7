import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';

const FLOWS = `agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
}
agent Checker { stub: "ok" }
flow Draft {
  step write: Writer { prompt: "x" }
  step check: Checker { prompt: "c" }
}
flow Checks {
  step check: Checker { prompt: "c" }
  approval ok { prompt: "?" }
}
`;

describe('baton estimate', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'f.flow'), FLOWS);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } }));
  });
  afterEach(() => ws.cleanup());

  it('prints the worst case per step and in total, with the cost from prices (2 attempts × 1000 tokens × $0.6/M; 2 × 30 s + 2 s)', () => {
    const r = baton(['estimate', 'f.flow', '--flow', 'Draft'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'Worst case of a run of Draft (static; one run of each step, all attempts):',
      '  write (agent Writer): 2 calls, output 2,000 tokens, $0.0012, 1 min 2 s',
      '  check (agent Checker): 1 call, output 0 tokens, $0.0000, 0 ms',
      'Total: 3 calls, output 2,000 tokens, $0.0012, 1 min 2 s',
      'Input tokens are not bounded statically: costs count output tokens only.',
    ]);
    const json = JSON.parse(baton(['estimate', 'f.flow', '--flow', 'Draft', '--json'], { cwd: ws.dir }).stdout);
    assert.deepEqual(json.total, { calls: 3, outputTokens: 2000, outputCostUsd: 0.0012, durationMs: 62_000 });
    assert.deepEqual(json.observed, []);
  });

  it('says unbounded for an approval without timeout, and shows what stored runs of the flow took', () => {
    const ran = baton(['run', 'f.flow', '--flow', 'Checks'], { cwd: ws.dir });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const r = baton(['estimate', 'f.flow', '--flow', 'Checks'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Total: 1 call, output 0 tokens, \$0\.0000, unbounded$/m);
    assert.match(r.stdout, /^note: approval ok has no timeout: the run's duration is unbounded$/m);
    assert.match(r.stdout, /^Observed in the store \(finished steps\):\n {2}check: 1 finished, p50 \d+ ms, p95 \d+ ms, mean 0 tokens, \$0\.0000$/m);
    const json = JSON.parse(baton(['estimate', 'f.flow', '--flow', 'Checks', '--json'], { cwd: ws.dir }).stdout);
    assert.deepEqual(json.observed.map((o: { node: string; count: number }) => [o.node, o.count]), [['Checks/check', 1]]);
  });

  it('baton run shows the worst case under its header, step i/N on step lines, and the stored runs\' p50 once there are some', () => {
    const first = baton(['run', 'f.flow', '--flow', 'Draft'], { cwd: ws.dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const lines = first.stdout.split('\n');
    assert.equal(lines[1], '  expected: ≤ 3 agent calls · ≤ 2,000 tokens · ≤ $0.0012 · ≤ 1 min 2 s', first.stdout);
    assert.match(first.stdout, /✓ write .* · step 1\/2$/m);
    assert.match(first.stdout, /✓ check .* · step 2\/2$/m);
    const second = baton(['run', 'f.flow', '--flow', 'Draft'], { cwd: ws.dir });
    assert.match(second.stdout.split('\n')[1], /^ {2}expected: ≤ 3 agent calls · ≤ 2,000 tokens · ≤ \$0\.0012 · ≤ 1 min 2 s · p50 ~[\d.]+ m?s \(from 1 stored run\)$/, second.stdout);
    const unbounded = baton(['run', 'f.flow', '--flow', 'Checks'], { cwd: ws.dir });
    assert.equal(unbounded.stdout.split('\n')[1], '  expected: ≤ 1 agent call · duration unbounded', unbounded.stdout);
    const json = baton(['run', 'f.flow', '--flow', 'Draft', '--json'], { cwd: ws.dir });
    assert.doesNotMatch(json.stdout, /expected|step \d\/\d/);
    assert.equal(JSON.parse(json.stdout.split('\n')[0]).type, 'run.started');
  });

  it('counts a tool loop: max_turns turns of 1 + retry attempts, the duration capped by the step\'s timeout; an agent tool leaves calls unbounded, and says why', () => {
    writeFileSync(
      path.join(ws.dir, 'tools.flow'),
      `flow Pause {
  input order: number
  wait 5s
}
agent Lookup { model: "openai/gpt-4o-mini" max_tokens: 200 timeout: 5s }
agent Planner {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
  tools: [Pause, mcp.crm.search]
  max_turns: 3
}
agent Helper {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  tools: [Lookup]
}
flow Plan {
  step plan: Planner { prompt: "x" }
}
flow Help {
  step help: Helper { prompt: "x" }
}
`,
    );
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } }, mcp: { servers: { crm: { command: ['node', 'crm.js'] } } } }));
    // 3 turns × 2 attempts × 1000 tokens × $0.6/M; the loop within the step's 30 s + the largest retry delay 2 s
    const plan = baton(['estimate', 'tools.flow', '--flow', 'Plan'], { cwd: ws.dir });
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(plan.stdout.trim().split('\n'), [
      'Worst case of a run of Plan (static; one run of each step, all attempts):',
      '  plan (agent Planner, up to 3 turns): 6 calls, output 6,000 tokens, $0.0036, 32 s',
      'Total: 6 calls, output 6,000 tokens, $0.0036, 32 s',
      'Input tokens are not bounded statically: costs count output tokens only.',
    ]);
    const help = baton(['estimate', 'tools.flow', '--flow', 'Help'], { cwd: ws.dir });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^ {2}help \(agent Helper, up to 8 turns\): unbounded calls, output unbounded, unbounded, 30 s$/m);
    assert.match(help.stdout, /^note: agent Helper may ask for any number of calls of tool Lookup in a turn \(the runtime does not limit them\): its calls, tokens and cost are unbounded$/m);
  });

  it('baton run gives the run the prices of the nearest baton.config.json: estimate("Flow").costUsd of an imported flow, recorded on run.started', () => {
    writeFileSync(path.join(ws.dir, 'priced.flow'), `import "./f.flow"
flow Priced {
  output cost: any
  set output.cost = estimate("Draft").costUsd
}
`);
    const r = baton(['run', 'priced.flow', '--flow', 'Priced', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; outputs?: unknown; estimate?: unknown });
    // Draft at worst: 2 attempts × 1000 tokens × $0.6 per million
    assert.deepEqual(events.find((e) => e.type === 'run.succeeded')?.outputs, { cost: 0.0012 });
    assert.deepEqual(events.find((e) => e.type === 'run.started')?.estimate, { prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } } });
  });

  it('an unknown flow and a file with errors are one message each and exit 2', () => {
    const unknown = baton(['estimate', 'f.flow', '--flow', 'Nope'], { cwd: ws.dir });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'baton: --flow Nope: f.flow has no flow named "Nope"; its flows are Draft, Checks\n');
    assert.equal(unknown.stdout, '');
    writeFileSync(path.join(ws.dir, 'bad.flow'), 'flow F {\n  step s: Nope\n}\n');
    const bad = baton(['estimate', 'bad.flow'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.flow has 1 error; fix it first/);
    assert.doesNotMatch(bad.stderr, /at .*\.m?js:\d+/);
  });
});
