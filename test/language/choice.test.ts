import assert from 'node:assert/strict';
import { AGENTS, build, check, checkText, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * `wait first { on event … on approval … on timeout D … on signal s … }` (issue 12, WCP-16 Deferred Choice): parsing,
 * IR, checker (codes and exact ranges), formatting, outline, hover and completion.
 */

const BODY = AGENTS.split('\n').length;
const flow = (body: string): string => `${AGENTS}event "payment.received" { data: { order_id: string, amount: number } }\nflow F {\n  input order_id: string\n${body}\n}\n`;
/** The first line of a flow's body in {@link flow}. */
const FIRST = BODY + 2;
const CHOICE = `  wait first {
    on event "payment.received" as payment where order_id == input.order_id {
      step book: Notifier { prompt: "Book \${payment.data.amount}" }
    }
    on approval write_off {
      prompt: "Write off \${input.order_id}?"
      assignee: "finance"
      step close: Notifier { prompt: "Close: \${write_off.output.decision}" }
    }
    on timeout 3d {
      fail "Nothing happened for 3 days"
    }
  }`;

describe('language: wait first (event-based choice)', () => {
  it('builds a choice node with one arm per `on`, named arms keyed by name, the others by path', async () => {
    const def = await build(flow(`${CHOICE}\n  signal go\n  wait first {\n    on signal go { }\n    on timeout 1h { }\n  }`));
    const [choice, , second] = def.flows.F.body;
    assert.ok(choice.kind === 'choice' && second.kind === 'choice');
    assert.equal(choice.id, 'F/choice@0');
    const [event, approval, timer] = choice.arms;
    assert.ok(event.kind === 'event' && approval.kind === 'approval' && timer.kind === 'timer');
    assert.deepEqual([event.id, event.event, event.name, event.where?.path], ['F/payment', 'payment.received', 'payment', ['order_id']]);
    assert.deepEqual(event.body.map((s) => s.id), ['F/book']);
    assert.deepEqual([approval.id, approval.name, approval.options], ['F/write_off', 'write_off', undefined]);
    assert.ok(approval.assignee);
    assert.deepEqual(approval.body.map((s) => s.id), ['F/close']);
    assert.deepEqual([timer.id, timer.durationMs, timer.body.map((s) => s.id)], ['F/on@0.2', 259_200_000, ['F/fail@0.2.0']]);
    assert.deepEqual(second.arms.map((a) => [a.kind, a.id]), [['signal', 'F/on@2.0'], ['timer', 'F/on@2.1']]);
  });

  it('a choice of the plain forms checks clean; its arms read their own names in their bodies', async () => {
    const { errors, warnings } = await check(flow(CHOICE));
    assert.deepEqual([errors, warnings.filter((w) => w.code !== 'unused-agent')], [[], []]);
  });

  it('`wait first` with one arm is a choice-single-arm warning on `first`', async () => {
    const { warnings } = await check(flow('  wait first {\n    on timeout 1h { }\n  }'));
    assert.deepEqual(warnings.filter((w) => w.code !== 'unused-agent'), [p('choice-single-arm', [FIRST, 7, FIRST, 12], 'first', '`wait first` with one arm chooses nothing: write a `wait` instead, or add the arms it races against')]);
  });

  it('an arm waiting for what an earlier arm waits for is duplicate-arm, on the second', async () => {
    const { errors } = await check(
      flow(`  wait first {
    on event "payment.received" where order_id == input.order_id { }
    on event "payment.received" where order_id == input.order_id { }
    on event "payment.received" { }
    on timeout 1h { }
    on timeout 2h { }
  }`),
    );
    assert.deepEqual(errors, [
      p('duplicate-arm', [FIRST + 2, 13, FIRST + 2, 31], '"payment.received"', 'this arm can never win: arm 1 of this `wait first` already waits for event "payment.received" where order_id == input.order_id'),
      p('duplicate-arm', [FIRST + 5, 15, FIRST + 5, 17], '2h', 'this arm can never win: arm 4 of this `wait first` already waits for a timeout'),
    ]);
  });

  it('a signal arm whose signal the flow never raises is unknown-signal, on the name', async () => {
    const { errors } = await check(flow('  wait first {\n    on signal redy { }\n    on timeout 1h { }\n  }'));
    assert.deepEqual(errors, [p('unknown-signal', [FIRST + 1, 14, FIRST + 1, 18], 'redy', 'no `signal redy` in flow F: this wait could never pass')]);
  });

  it('`timeout:` on an approval arm is choice-arm-timeout: the choice has its own `on timeout` arm', async () => {
    const { errors } = await check(flow('  wait first {\n    on approval ok {\n      timeout: 2d\n    }\n    on timeout 1h { }\n  }'));
    assert.deepEqual(errors, [p('choice-arm-timeout', [FIRST + 2, 6, FIRST + 2, 17], 'timeout: 2d', 'an arm of `wait first` has no `timeout:` of its own: add an `on timeout 2d { … }` arm to the choice')]);
  });

  it('a name of one arm read in another arm is step-in-sibling-branch', async () => {
    const { errors } = await check(flow('  wait first {\n    on event "payment.received" as payment { }\n    on approval ok {\n      step x: Notifier { prompt: "${payment.status}" }\n    }\n  }'));
    assert.deepEqual(errors, [p('step-in-sibling-branch', [FIRST + 3, 36, FIRST + 3, 43], 'payment', '`payment` is in another arm of this `wait first`, which never runs when this one does (only the first arm to come runs)')]);
  });

  it('an arm (or a step of its body) read after the choice without a guard is step-maybe-skipped; with `??` or a status check it is fine', async () => {
    const { errors } = await check(flow(`${CHOICE}\n  step after: Notifier { prompt: "\${book.output} \${write_off.output.decision}" }`));
    assert.deepEqual(
      errors.map((e) => [e.code, e.text]),
      [
        ['step-maybe-skipped', 'book'],
        ['step-maybe-skipped', 'write_off'],
      ],
    );
    assert.deepEqual((await check(flow(`${CHOICE}\n  step after: Notifier { prompt: "\${book.output ?? "none"} \${payment.status}" }`))).errors, []);
  });

  it('`wait first { }` without an arm is choice-without-arms, on `first`', async () => {
    const { errors } = await check(flow('  wait first {\n  }'));
    assert.deepEqual(errors, [p('choice-without-arms', [FIRST, 7, FIRST, 12], 'first', '`wait first` without an arm would wait for nothing forever: add `on event "x" { … }`, `on approval a { … }`, `on timeout 3d { … }` or `on signal s { … }`')]);
  });

  it('a test deciding an approval the flow does not have is unknown-name; a decision it does not offer is type-mismatch', async () => {
    const text = `${flow(CHOICE)}test "t" {\n  flow: F\n  input: { order_id: "A1" }\n  decide write_of after 1h: "approved"\n  decide write_off: "maybe"\n  expect: status == "succeeded"\n}\n`;
    const line = text.split('\n').findIndex((l) => l.includes('decide write_of '));
    const { errors } = await check(text);
    assert.deepEqual(errors, [
      p('unknown-name', [line, 9, line, 17], 'write_of', 'flow F has no approval `write_of`; its approvals: write_off'),
      p('type-mismatch', [line + 1, 20, line + 1, 27], '"maybe"', '"maybe" is not a decision of approval `write_off`; use one of "approved", "rejected"'),
    ]);
  });

  it('`first` stays a soft keyword: a step may still be called first', async () => {
    const { document } = await checkText(flow('  step first: Notifier { prompt: "a" }\n  step b: Notifier { prompt: "${first.output}" }'));
    assert.equal(document.parseResult.parserErrors.length, 0);
  });

  it('formats a choice idempotently: `wait first {`, one arm head per line, one space between its parts', async () => {
    const messy = flow('wait   first {\non event   "payment.received"   as   payment   where order_id ==  input.order_id {\nstep book: Notifier { prompt: "x" }\n}\n  on approval   ok { prompt: "p"   assignee: "f" }\n      on timeout    3d {\n}\n}');
    const formatted = await format(messy);
    assert.equal(
      formatted,
      flow('  wait first {\n    on event "payment.received" as payment where order_id == input.order_id {\n      step book: Notifier { prompt: "x" }\n    }\n    on approval ok { prompt: "p" assignee: "f" }\n    on timeout 3d {\n    }\n  }'),
    );
    assert.equal(await format(formatted), formatted);
  });

  it('the outline shows wait first with its arms: named arms by name, the others as `on …`, their bodies inside', async () => {
    const lines = await outline(flow(`${CHOICE}\n  signal go\n  wait first {\n    on signal go { }\n    on event "payment.received" { }\n  }`));
    assert.deepEqual(lines.slice(lines.indexOf('  wait first')), [
      '  wait first',
      '    payment (on event "payment.received")',
      '      book (→ Notifier)',
      '    write_off (on approval)',
      '      close (→ Notifier)',
      '    on timeout 3d',
      '  signal go',
      '  wait first',
      '    on signal go',
      '    on event "payment.received"',
    ]);
  });

  it('hover on `first` says what the choice does and lists its arms; on an approval arm, its decisions without "timeout"', async () => {
    const text = flow(CHOICE);
    const first = await hoverAt(text.replace('wait first', 'wait fi<|>rst'));
    assert.match(first ?? '', /^\*\*wait first\*\* `\{ on … \}`: an event-based choice/);
    assert.match(first ?? '', /arms: `event "payment.received"`, `approval write_off`, `timeout 3d`$/);
    const arm = await hoverAt(text.replace('on approval write_off', 'on approval write_<|>off'));
    assert.equal(arm, '**approval** `write_off` — an arm of `wait first`  \noutput: `{ decision: "approved" | "rejected", by: string, comment: any }`  \nstatus: `"succeeded"` when it came first (whatever the decision), `"withdrawn"` when another arm did');
  });

  it('completion inside `wait first {` offers the four arms', async () => {
    const labels = await completeAt(flow('  wait first {\n    <|>\n  }'));
    assert.deepEqual(labels.filter((l) => l.startsWith('on ')).sort(), ['on approval … { … }', 'on event "…" { … }', 'on signal … { … }', 'on timeout … { … }']);
    assert.ok(!labels.includes('step'), 'no statement may start there');
    const afterWait = await completeAt(flow('  wait <|>'));
    assert.ok(afterWait.includes('first'), `after wait: ${afterWait.join(', ')}`);
  });
});
