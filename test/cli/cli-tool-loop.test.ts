import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, CLI, tempWorkspace } from './cli-helper.js';

// A step's tool loop through the CLI: the `tool …` lines of baton run and baton runs show, and kill -9 in the
// middle of the loop — the resumed run makes no finished tool call again (a ledger the tool writes says so).

const FLOW = `
agent Ledger {
  model: "command/ledger"
  output: { done: string }
}
agent Support {
  output: { reply: string }
  tools: [Ledger]
  stub: turns([call("Ledger", { prompt: "fast" })], [call("Ledger", { prompt: "slow" })], { reply: "all done" })
}
flow Main {
  output reply: string
  step support: Support { prompt: "help" }
  set output.reply = support.output.reply
}
`;

/**
 * The tool: appends `<pid> <idempotency key> <prompt>` to ledger.txt when it starts; the first `slow` call then
 * hangs (the test kills the run meanwhile), every other call answers at once.
 */
const LEDGER = `
import { appendFileSync, readFileSync, existsSync } from 'node:fs';
let text = '';
process.stdin.on('data', (d) => (text += d));
process.stdin.on('end', () => {
  const { prompt } = JSON.parse(text);
  const before = existsSync('ledger.txt') ? readFileSync('ledger.txt', 'utf8') : '';
  appendFileSync('ledger.txt', process.pid + ' ' + process.env.BATON_IDEMPOTENCY_KEY + ' ' + prompt + '\\n');
  const answer = () => process.stdout.write(JSON.stringify({ output: { done: prompt } }));
  if (prompt === 'slow' && !before.includes(' slow')) setTimeout(answer, 60000);
  else answer();
});
`;

describe('baton run/resume: an agent’s tool loop', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'support.flow'), FLOW);
    writeFileSync(path.join(ws.dir, 'ledger.mjs'), LEDGER);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ commands: { ledger: { command: [process.execPath, 'ledger.mjs'] } } }));
  });
  afterEach(() => ws.cleanup());

  const ledger = (): string[][] => (existsSync(path.join(ws.dir, 'ledger.txt')) ? readFileSync(path.join(ws.dir, 'ledger.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')) : []);

  /** Runs support.flow with real agents and kills it (SIGKILL) once the slow call has started; returns the run's id and what it printed. */
  async function killDuringSlowCall(): Promise<{ id: string; out: string }> {
    const child = spawn(process.execPath, [CLI, 'run', 'support.flow', '--agents', 'real'], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', BATON_STORE: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // the slow call has started (its tool.started is stored before the command runs): kill the run
    while (!ledger().some((l) => l[2] === 'slow')) {
      if (child.exitCode !== null) assert.fail(`the run ended before the slow call: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const orphan = Number(ledger().find((l) => l[2] === 'slow')![0]);
    try {
      process.kill(orphan, 'SIGKILL'); // the command the killed run left behind
    } catch {
      // already gone
    }
    return { id: /run (\S+) /.exec(out)![1], out };
  }

  it('kill -9 in the middle of the loop: resume answers the finished call from the log and makes only the call in flight again', async () => {
    const { id, out } = await killDuringSlowCall();
    assert.match(out, /⚙ tool Ledger\s+support · turn 1/, 'the finished call was printed under its step');

    const resumed = baton(['resume', id], { cwd: ws.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /⚙ tool Ledger\s+support · turn 2/);
    assert.doesNotMatch(resumed.stdout, /turn 1/, 'the finished call is not made (nor printed) again');
    assert.match(resumed.stdout, /✓ support/);
    assert.doesNotMatch(resumed.stdout, /attempts/, 'turns are not attempts');
    assert.match(resumed.stdout, /✓ succeeded/);

    // the ledger: the finished call ran once; the call in flight ran again with the same idempotency key
    const lines = ledger();
    assert.deepEqual(lines.map((l) => [l[1], l[2]]), [
      [`${id}/support/tool/stub-1-1`, 'fast'],
      [`${id}/support/tool/stub-2-1`, 'slow'],
      [`${id}/support/tool/stub-2-1`, 'slow'],
    ]);

    const shown = baton(['runs', 'show', id], { cwd: ws.dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /⚙ tool Ledger\s+support · turn 1 .*\{"done":"fast"\}/);
    assert.match(shown.stdout, /⚙ tool Ledger\s+support · turn 2 .*\{"done":"slow"\}/);
    assert.match(shown.stdout, /reply="all done"/);
    const json = JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { events: { type: string; turn?: number }[] };
    assert.deepEqual(json.events.filter((e) => e.type === 'turn.finished').map((e) => e.turn), [1, 2, 3], 'no turn asked twice');
  });

  it("kill -9 in the middle of the loop, resumed after the step's timeout: the step times out, the call in flight is not made again", async () => {
    // the slow call first, and a timeout long enough that a loaded machine reaches it before the timeout passes
    const flow = FLOW.replace('turns([call("Ledger", { prompt: "fast" })], ', 'turns(').replace('step support: Support { prompt: "help" }', 'step support: Support { prompt: "help", timeout: 15s }');
    writeFileSync(path.join(ws.dir, 'support.flow'), flow);
    const { id } = await killDuringSlowCall();
    const started = Date.parse((JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { events: { type: string; time: string }[] }).events.find((e) => e.type === 'step.started')!.time);
    // the loop's 15 s pass while no process runs it
    await new Promise((r) => setTimeout(r, Math.max(0, started + 15_100 - Date.now())));
    const resumed = baton(['resume', id], { cwd: ws.dir });
    // (exit 0 here: the resumed loop had its timeout afresh — an out/cli.mjs built before the timeout spanned processes)
    assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout + resumed.stderr, /STEP_TIMEOUT/);
    assert.match(resumed.stdout + resumed.stderr, /its time ran out before the run was resumed/);
    assert.deepEqual(ledger().map((l) => l[2]), ['slow'], 'the call in flight was not made again');
  });

  it('a tool with approval: the run waits and shows the call; baton approve <id> <step>/<callId> runs it, --reject tells the model', () => {
    writeFileSync(path.join(ws.dir, 'refund.flow'), `
agent Payments { stub: { paid: true } }
agent Support {
  output: { reply: string }
  tools: [Payments { approval: "finance" }]
  stub: turns([call("Payments", { prompt: "refund 42" })], [call("Payments", { prompt: "refund 43" })], { reply: "done" })
}
flow Refund {
  step support: Support { prompt: "refund" }
}
`);
    const first = baton(['run', 'refund.flow'], { cwd: ws.dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /⏸ support\/stub-1-1\s+approval for finance · tool Payments \{"prompt":"refund 42"\}/);
    const id = /run (\S+) /.exec(first.stdout)![1];
    const approved = baton(['approve', id, 'support/stub-1-1', '--by', 'ann'], { cwd: ws.dir });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /⚙ tool Payments\s+support · turn 1/);
    assert.match(approved.stdout, /⏸ support\/stub-2-1/);
    const rejected = baton(['approve', id, 'support/stub-2-1', '--reject', '--by', 'bob'], { cwd: ws.dir });
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, /⊘ tool Payments\s+support · turn 2\s+refused: the call of Payments was rejected by bob/);
    assert.match(rejected.stdout, /✓ support/);
    assert.match(rejected.stdout, /✓ succeeded/);
  });

  it('baton test --crash-at "tool <step>/<callId>": killed once that call started, resumed, every step and call finished once', () => {
    writeFileSync(path.join(ws.dir, 'help.flow'), `
agent Lookup { stub: { order: 42 } }
agent Support {
  output: { reply: string }
  tools: [Lookup]
  stub: turns([call("Lookup", { prompt: "a" })], [call("Lookup", { prompt: "b" })], { reply: "done" })
}
flow Help {
  step answer: Support { prompt: "help" }
}
`);
    const crash = baton(['test', 'help.flow', '--crash-at', 'tool answer/stub-2-1', '--json'], { cwd: ws.dir });
    assert.equal(crash.code, 0, crash.stdout + crash.stderr);
    const report = JSON.parse(crash.stdout) as { crashed: boolean; status: string; passed: boolean };
    assert.deepEqual([report.crashed, report.status, report.passed], [true, 'succeeded', true]);
  });
});
