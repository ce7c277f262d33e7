import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, tempWorkspace } from './cli-helper.js';
import { APPROVAL_FLOW, EVENT_FLOW, runIdOf } from './cli-flows.js';

describe('baton runs, approve, send, resume, cancel', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'purchase.flow'), APPROVAL_FLOW);
    writeFileSync(path.join(ws.dir, 'payment.flow'), EVENT_FLOW);
  });
  afterEach(() => ws.cleanup());

  it('stops at an approval (exit 0, waiting) and approve continues the run to success', () => {
    const started = baton(['run', 'purchase.flow'], { cwd: ws.dir });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /⏸ waiting .* approval "signoff" for finance — baton approve (\S+) signoff/);
    const id = /run (\S+) stored/.exec(started.stdout)![1];
    const show = baton(['runs', 'show', id], { cwd: ws.dir });
    assert.match(show.stdout, /status\s+waiting/);
    const approved = baton(['approve', id, 'signoff', '--comment', 'within budget', '--by', 'dana'], { cwd: ws.dir });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Recorded "approved" for signoff/);
    assert.match(approved.stdout, /✓ tell/);
    assert.match(approved.stdout, /✓ succeeded/);
    const json = JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { run: { status: string; outputs: Record<string, unknown> }; events: { type: string; by?: string; comment?: string }[] };
    assert.equal(json.run.status, 'succeeded');
    assert.equal(json.run.outputs.decision, 'approved');
    const decided = json.events.find((e) => e.type === 'approval.decided')!;
    assert.equal(decided.by, 'dana');
    assert.equal(decided.comment, 'within budget');
    // quote ran once: resuming did not call it again
    assert.equal(json.events.filter((e) => e.type === 'step.finished' && (e as { step?: string }).step === 'quote').length, 1);
  });

  it('approve --reject records a rejection', () => {
    const id = runIdOf(baton(['run', 'purchase.flow', '--json'], { cwd: ws.dir }).stdout);
    const r = baton(['approve', id, 'signoff', '--reject', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { type: string; outputs: Record<string, unknown> };
    assert.equal(last.type, 'run.succeeded');
    assert.equal(last.outputs.decision, 'rejected');
  });

  for (const [extra, decision] of [[[], 'approved'], [['--reject'], 'rejected']] as const) {
    it(`approve ${[...extra, '--json'].join(' ')} streams the decision (${decision}) first, as stored, then the continued run`, () => {
      const id = runIdOf(baton(['run', 'purchase.flow', '--json'], { cwd: ws.dir }).stdout);
      const r = baton(['approve', id, 'signoff', '--by', 'dana', '--json', ...extra], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      const streamed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; seq: number; task?: string; decision?: string; by?: string; node?: string });
      assert.equal(streamed[0].type, 'approval.decided', JSON.stringify(streamed.map((e) => e.type)));
      assert.deepEqual([streamed[0].task, streamed[0].decision, streamed[0].by, streamed[0].node], ['signoff', decision, 'dana', 'Purchase/signoff']);
      assert.equal(streamed.at(-1)!.type, 'run.succeeded');
      // what was streamed is what the store holds, seq for seq
      const stored = (JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { events: { type: string; seq: number }[] }).events;
      const storedDecision = stored.find((e) => e.type === 'approval.decided')!;
      assert.equal(storedDecision.seq, streamed[0].seq);
      assert.deepEqual(streamed.map((e) => e.seq), stored.filter((e) => e.seq >= streamed[0].seq).map((e) => e.seq));
    });
  }

  it('send --json streams the received event first, then the continued run', () => {
    const id = runIdOf(baton(['run', 'payment.flow', '--json'], { cwd: ws.dir }).stdout);
    const r = baton(['send', id, 'payment.received', '--data', '{"amount": 10}', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const streamed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; event?: string; data?: unknown });
    assert.deepEqual([streamed[0].type, streamed[0].event, streamed[0].data], ['event.received', 'payment.received', { amount: 10 }]);
    assert.equal(streamed.at(-1)!.type, 'run.succeeded');
  });

  it('approving a task that is not waiting exits 2 and changes nothing', () => {
    const id = runIdOf(baton(['run', 'purchase.flow', '--json'], { cwd: ws.dir }).stdout);
    const r = baton(['approve', id, 'nosuchtask'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no approval "nosuchtask" waiting; waiting: signoff/);
    assert.match(baton(['runs', 'show', id], { cwd: ws.dir }).stdout, /status\s+waiting/);
  });

  it('resuming a finished run exits 2', () => {
    const id = runIdOf(baton(['run', 'examples/process-orchestrator.flow', '--json'], { cwd: ws.dir }).stdout);
    const r = baton(['resume', id], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has already succeeded; there is nothing to resume/);
  });

  it('an unknown run id exits 2 for show, resume, cancel, approve and send', () => {
    for (const args of [['runs', 'show', 'NOPE'], ['resume', 'NOPE'], ['cancel', 'NOPE'], ['approve', 'NOPE', 'x'], ['send', 'NOPE', 'e']]) {
      const r = baton(args, { cwd: ws.dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /no run with id "NOPE"/);
    }
  });

  it('send delivers an event to a waiting run, which then succeeds', () => {
    const started = baton(['run', 'payment.flow', '--json'], { cwd: ws.dir });
    const id = runIdOf(started.stdout);
    const waiting = JSON.parse(started.stdout.trim().split('\n').pop()!) as { type: string; waitingOn: { kind: string; event: string }[] };
    assert.equal(waiting.type, 'run.waiting');
    assert.deepEqual(waiting.waitingOn.map((w) => [w.kind, w.event]), [['event', 'payment.received']]);
    const wrong = baton(['send', id, 'other.event'], { cwd: ws.dir });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is not waiting for event "other\.event"; it waits for payment\.received/);
    const bad = baton(['send', id, 'payment.received', '--data', '{oops'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--data: not valid JSON/);
    const sent = baton(['send', id, 'payment.received', '--data', '{"amount": 10}'], { cwd: ws.dir });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /✓ succeeded/);
  });

  it('cancel makes a waiting run cancelled', () => {
    const id = runIdOf(baton(['run', 'purchase.flow', '--json'], { cwd: ws.dir }).stdout);
    const r = baton(['cancel', id], { cwd: ws.dir });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Cancelled run/);
    assert.match(baton(['runs', 'list', '--status', 'cancelled'], { cwd: ws.dir }).stdout, /Purchase\s+cancelled/);
    assert.equal(baton(['cancel', id], { cwd: ws.dir }).code, 2);
  });

  it('runs list filters and rejects a bad --status', () => {
    baton(['run', 'purchase.flow'], { cwd: ws.dir });
    baton(['run', 'examples/process-orchestrator.flow'], { cwd: ws.dir });
    const waiting = baton(['runs', 'list', '--status', 'waiting', '--json'], { cwd: ws.dir });
    const runs = JSON.parse(waiting.stdout) as { flow: string }[];
    assert.deepEqual(runs.map((r) => r.flow), ['Purchase']);
    const bad = baton(['runs', 'list', '--status', 'sleeping'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--status sleeping: use one of running, waiting/);
  });
});

describe('baton test, graph and help', () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it('passes every example test and ends with "N passed, 0 failed"', () => {
    const r = baton(['test', 'examples'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout);
    // every test block of every example (examples/patterns/ included), each reported once, none failed
    const files = (readdirSync(path.join(ws.dir, 'examples'), { recursive: true }) as string[]).filter((f) => f.endsWith('.flow'));
    const blocks = files.reduce((n, f) => n + (readFileSync(path.join(ws.dir, 'examples', f), 'utf8').match(/^test "/gm) ?? []).length, 0);
    assert.ok(blocks >= 26, `the examples hold ${blocks} test blocks`);
    assert.match(r.stdout, new RegExp(`^${blocks} passed, 0 failed$`, 'm'));
    assert.equal((r.stdout.match(/^ {2}✓ /gm) ?? []).length, blocks, 'one ✓ line per test block');
  });

  it('tests each file with what it imports only: two files with a same-named agent pass alone and together', () => {
    const file = (n: number): string =>
      `agent Scorer {\n  output: { score: number }\n  stub: { score: ${n} }\n}\nflow Score${n} {\n  output score: number\n  step s: Scorer\n  set output.score = s.output.score\n}\ntest "scores ${n}" {\n  flow: Score${n}\n  expect: output.score == ${n}\n}\n`;
    mkdirSync(path.join(ws.dir, 'pair'));
    writeFileSync(path.join(ws.dir, 'pair', 'a.flow'), file(1));
    writeFileSync(path.join(ws.dir, 'pair', 'b.flow'), file(2));
    for (const args of [['pair/a.flow'], ['pair/b.flow'], ['pair/a.flow', 'pair/b.flow'], ['pair/b.flow', 'pair/a.flow'], ['pair']]) {
      const r = baton(['test', ...args], { cwd: ws.dir });
      assert.equal(r.code, 0, `baton test ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${args.length === 1 && args[0] !== 'pair' ? 1 : 2} passed, 0 failed$`, 'm'));
    }
  });

  it('reports a failing test with its expectation and exits 1', () => {
    writeFileSync(path.join(ws.dir, 't.flow'), 'agent A { stub: { n: 1 } output: { n: number } }\nflow F {\n  output n: number\n  step s: A\n  set output.n = s.output.n\n}\ntest "n is two" {\n  flow: F\n  expect: output.n == 2\n}\ntest "n is one" {\n  flow: F\n  expect: output.n == 1\n}\n');
    const r = baton(['test', 't.flow'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ n is two\n\s+expected output\.n == 2 \(output\.n is 1\); the run succeeded\n\s+at t\.flow:9:11$/m);
    assert.match(r.stdout, /^1 passed, 1 failed$/m);
  });

  const TWO_TESTS = 'agent A { stub: { n: 1 } output: { n: number } }\nflow F {\n  output n: number\n  step s: A\n  set output.n = s.output.n\n}\ntest "n is two" {\n  flow: F\n  expect: status == "succeeded" && output.n == 2\n}\ntest "n is one" {\n  flow: F\n  expect: output.n == 1\n}\n';

  it('--json gives each test its range and line, and a failing one the range and value of the first false expectation', () => {
    writeFileSync(path.join(ws.dir, 't.flow'), TWO_TESTS);
    const r = baton(['test', 't.flow', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    const file = path.join(ws.dir, 't.flow');
    const results = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      results.map(({ durationMs, runId, ...rest }) => (assert.equal(typeof durationMs, 'number'), assert.equal(typeof runId, 'string'), rest)),
      [
        {
          name: 'n is two',
          flow: 'F',
          passed: false,
          status: 'succeeded',
          file,
          line: 7,
          range: { file, start: { line: 7, column: 1 }, end: { line: 10, column: 2 } },
          message: 'expected output.n == 2 (output.n is 1); the run succeeded',
          failedExpectation: {
            text: 'output.n == 2',
            range: { file, start: { line: 9, column: 36 }, end: { line: 9, column: 49 } },
            actual: { text: 'output.n', value: 1 },
          },
        },
        { name: 'n is one', flow: 'F', passed: true, status: 'succeeded', file, line: 11, range: { file, start: { line: 11, column: 1 }, end: { line: 14, column: 2 } } },
      ],
    );
  });

  it('--test runs only the tests with exactly those names', () => {
    writeFileSync(path.join(ws.dir, 't.flow'), TWO_TESTS);
    const one = baton(['test', 't.flow', '--test', 'n is one', '--json'], { cwd: ws.dir });
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual((JSON.parse(one.stdout) as { name: string }[]).map((t) => t.name), ['n is one']);
    const both = baton(['test', 't.flow', 'examples/dispatcher.flow', '--test', 'n is two', '--test', 'a project gets a plan'], { cwd: ws.dir });
    assert.equal(both.code, 1);
    assert.match(both.stdout, /✗ n is two/);
    assert.match(both.stdout, /✓ a project gets a plan/);
    assert.match(both.stdout, /^1 passed, 1 failed$/m);
  });

  it('keeps its runs in a private temporary store: BATON_STORE is not used (a note on stderr says so), not even a server that does not answer; --store keeps them where it names', () => {
    writeFileSync(path.join(ws.dir, 't.flow'), TWO_TESTS);
    const shared = path.join(ws.dir, 'shared.db');
    const note = 'note: baton test does not use BATON_STORE: its runs are kept in a private temporary store (give --store to keep them in a store)';
    for (const store of [shared, 'postgres://baton@127.0.0.1:1/nowhere']) {
      const r = baton(['test', 't.flow', '--test', 'n is one', '--json'], { cwd: ws.dir, env: { BATON_STORE: store } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), note);
      assert.equal((JSON.parse(r.stdout) as { passed: boolean }[])[0].passed, true);
    }
    assert.equal(existsSync(shared), false, 'nothing was written to the store BATON_STORE names');
    const kept = baton(['test', 't.flow', '--test', 'n is one', '--json', '--store', shared], { cwd: ws.dir, env: { BATON_STORE: 'postgres://baton@127.0.0.1:1/nowhere' } });
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(kept.stderr, '');
    const { runId } = (JSON.parse(kept.stdout) as { runId: string }[])[0];
    const shown = baton(['runs', 'show', runId, '--json', '--store', shared], { cwd: ws.dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { run: { status: string; flow: string } }).run.status, 'succeeded');
  });

  it('--test with a name no file declares is a usage error (exit 2) naming it, and runs nothing', () => {
    writeFileSync(path.join(ws.dir, 't.flow'), TWO_TESTS);
    const r = baton(['test', 't.flow', '--test', 'n is one', '--test', 'n is'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim(), 'baton: --test "n is": no test with this name in t.flow');
  });

  it('prints Mermaid, DOT, JSON and SVG graphs', () => {
    const mermaid = baton(['graph', 'examples/incident-saga.flow', '--format', 'mermaid'], { cwd: ws.dir });
    assert.equal(mermaid.code, 0);
    assert.match(mermaid.stdout, /^flowchart TD/);
    assert.match(mermaid.stdout, /-\.->\|"compensates"\|/);
    const dot = baton(['graph', 'examples/incident-saga.flow', '--format', 'dot'], { cwd: ws.dir });
    assert.match(dot.stdout, /^digraph "IncidentSaga" \{/);
    const json = JSON.parse(baton(['graph', 'examples/incident-saga.flow', '--format', 'json'], { cwd: ws.dir }).stdout) as { nodes: { id: string }[] };
    assert.ok(json.nodes.some((n) => n.id === 'IncidentSaga/rollback'));
    const svg = baton(['graph', 'examples/incident-saga.flow', '--format', 'svg', '-o', 'saga.svg'], { cwd: ws.dir });
    assert.equal(svg.code, 0, svg.stderr);
    assert.match(svg.stderr, /Wrote the svg graph of IncidentSaga to saga\.svg/);
    const text = readFileSync(path.join(ws.dir, 'saga.svg'), 'utf8');
    assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(text, /<g class="node kind-step" data-id="IncidentSaga\/rollback"/);
    assert.match(text, /<g class="edge edge-compensation"/);
  });

  it('draws a sub-flow step open with --expand, and refuses a step that calls no sub-flow (exit 2)', () => {
    const open = baton(['graph', 'examples/process-orchestrator.flow', '--flow', 'ProcessOrchestrator', '--format', 'json', '--expand', 'incident'], { cwd: ws.dir });
    assert.equal(open.code, 0, open.stderr);
    const graph = JSON.parse(open.stdout) as { nodes: { id: string; expanded?: boolean; parent?: string }[] };
    assert.equal(graph.nodes.find((n) => n.id === 'ProcessOrchestrator/incident')?.expanded, true);
    assert.equal(graph.nodes.find((n) => n.id === 'ProcessOrchestrator/incident>IncidentRouting/page')?.parent, 'ProcessOrchestrator/incident');
    const bad = baton(['graph', 'examples/process-orchestrator.flow', '--flow', 'ProcessOrchestrator', '--format', 'svg', '--expand', 'intake'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'baton: --expand intake: ProcessOrchestrator has no step `intake` that calls a sub-flow');
  });

  it('shows --help for every command with exit 0', () => {
    for (const args of [['--help'], ['check', '--help'], ['run', '--help'], ['test', '--help'], ['runs', 'list', '--help'], ['runs', 'show', '--help'], ['resume', '--help'], ['cancel', '--help'], ['approve', '--help'], ['send', '--help'], ['graph', '--help']]) {
      const r = baton(args, { cwd: ws.dir });
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: baton/);
    }
  });
});
