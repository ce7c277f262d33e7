import assert from 'node:assert/strict';
import { AGENTS, build, check, checkText, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * `signal s` and `wait signal s [timeout D] [on timeout { … }]` (issue 12): parsing, IR, checker (codes and exact
 * ranges), formatting, outline, hover and completion.
 */

const BODY = AGENTS.split('\n').length;
const flow = (body: string): string => `${AGENTS}flow F {\n${body}\n}\n`;
const SIGNALED = `  parallel {
    branch {
      step check: Notifier { prompt: "check" }
      signal stock_ok
    }
    branch {
      wait signal stock_ok timeout 1h on timeout {
        step late: Notifier { prompt: "late" }
      }
    }
  }`;

describe('language: signal and wait signal', () => {
  it('builds signal and waitSignal nodes', async () => {
    const def = await build(flow(SIGNALED));
    const parallel = def.flows.F.body[0];
    assert.ok(parallel.kind === 'parallel');
    const [raise, wait] = parallel.branches.map((b) => (b.kind === 'block' ? b.body.at(-1) : b));
    assert.deepEqual(raise, { kind: 'signal', id: 'F/signal@0.0.1', name: 'stock_ok', range: raise!.range });
    assert.ok(wait?.kind === 'waitSignal');
    assert.equal(wait.signal, 'stock_ok');
    assert.equal(wait.timeoutMs, 3_600_000);
    assert.deepEqual(wait.onTimeout?.map((s) => s.id), ['F/late']);
  });

  it('a wait for a signal the flow never raises is unknown-signal, on the name', async () => {
    const { errors } = await check(flow('  signal ready\n  wait signal redy'));
    assert.deepEqual(errors, [p('unknown-signal', [BODY + 1, 14, BODY + 1, 18], 'redy', 'no `signal redy` in flow F: this wait could never pass; raised here: ready')]);
  });

  it('a signal nobody waits for is an unused-signal warning, on the name', async () => {
    const { warnings } = await check(flow('  signal ready'));
    assert.deepEqual(warnings.filter((w) => w.code === 'unused-signal'), [p('unused-signal', [BODY, 9, BODY, 14], 'ready', 'nothing waits for `signal ready`: add a `wait signal ready` where it matters, or drop it')]);
  });

  it('a wait whose signal is raised only after it in the same sequence is signal-after-wait; in a sibling branch it is fine', async () => {
    const { errors } = await check(flow('  wait signal go\n  signal go'));
    assert.deepEqual(errors, [p('signal-after-wait', [BODY, 14, BODY, 16], 'go', '`signal go` is only raised after this wait, in the same sequence of statements: the wait would never pass (raise it in another branch of a `parallel`, or before the wait)')]);
    assert.deepEqual((await check(flow(SIGNALED))).errors, []);
  });

  it('`signal` is a reserved word: no step may be named signal', async () => {
    const { document } = await checkText(flow('  step signal: Notifier'));
    assert.ok(document.parseResult.parserErrors.length > 0);
  });

  it('formats signal and wait signal idempotently', async () => {
    const formatted = await format(flow('signal   go\nwait    signal   go   timeout   5m'));
    assert.equal(formatted, flow('  signal go\n  wait signal go timeout 5m'));
    assert.equal(await format(formatted), formatted);
  });

  it('the outline shows the raise and the wait with its on timeout arm', async () => {
    const lines = await outline(flow(SIGNALED));
    assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('F '))), ['F ()', '  parallel', '    branch 1', '      check (→ Notifier)', '      signal stock_ok', '    branch 2', '      wait signal stock_ok', '        on timeout', '          late (→ Notifier)']);
  });

  it('hover on `signal` says what a latch does; completion after `wait signal ` offers the raised signals', async () => {
    assert.match((await hoverAt(flow('  sig<|>nal go\n  wait signal go'))) ?? '', /^\*\*signal\*\* `s` raises a run-local latch/);
    assert.deepEqual(await completeAt(flow('  signal ready\n  signal done\n  wait signal <|>')), ['ready', 'done']);
  });
});
