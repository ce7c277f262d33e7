import assert from 'node:assert/strict';
import type { ParallelNode } from '@baton/protocol';
import { AGENTS, build, check, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * The constructs that split and join work: `branch { … }` inside `parallel`, `parallel concurrency N`,
 * `range()`; partial joins (`first N`, `until`, `keep`) on `parallel` and `foreach`. Parsing, IR, checker
 * (codes and exact ranges), formatting, outline, hover and completion.
 */

const BODY = AGENTS.split('\n').length;
const flow = (body: string): string => `${AGENTS}flow F {\n${body}\n}\n`;
const BRANCHES = `  parallel concurrency 1 {
    branch {
      step check_in: Intake { prompt: "check in" }
      step room: Notifier { prompt: "room for \${check_in.output.severity}" }
    }
    step bill: Notifier { prompt: "bill" }
  }
  step close: Notifier { prompt: "\${room.output} \${bill.output}" }`;

describe('language: branch { … } and parallel concurrency', () => {
  it('a branch { … } is one branch of its parallel: its statements run in order and read each other; the IR has a block', async () => {
    const def = await build(flow(BRANCHES));
    const parallel = def.flows.F.body[0] as ParallelNode;
    assert.equal(parallel.kind, 'parallel');
    assert.equal(parallel.concurrency, 1);
    assert.deepEqual(parallel.branches.map((b) => b.kind), ['block', 'step']);
    const block = parallel.branches[0];
    assert.ok(block.kind === 'block');
    assert.equal(block.id, 'F/block@0.0');
    assert.deepEqual(block.body.map((s) => s.id), ['F/check_in', 'F/room']);
    assert.deepEqual(block.range.start, { line: BODY + 2, column: 5 });
  });

  it('a step of one branch { … } read in a sibling branch is step-in-sibling-branch, on the name', async () => {
    const { errors } = await check(flow('  parallel {\n    branch {\n      step a: Intake\n    }\n    branch {\n      step b: Notifier { prompt: "${a.output.severity}" }\n    }\n  }'));
    assert.deepEqual(errors, [p('step-in-sibling-branch', [BODY + 5, 36, BODY + 5, 37], 'a', 'step `a` runs in a sibling branch of this `parallel`, so its output is not available here')]);
  });

  it('a statement after `fail` inside a branch { … } is unreachable; a later branch of the parallel is not', async () => {
    const { errors } = await check(flow('  parallel {\n    branch {\n      fail "stop"\n      step a: Notifier\n    }\n    step b: Notifier\n  }'));
    assert.deepEqual(errors, [p('unreachable-statement', [BODY + 3, 6, BODY + 3, 22], 'step a: Notifier', 'this statement can never run: the `fail` above always ends the run')]);
  });

  it('branch { … } outside a parallel is a parse error that says where a branch may stand', async () => {
    const { errors } = await check(flow('  branch {\n    step a: Notifier\n  }'));
    assert.deepEqual(errors[0], p('parse-error', [BODY, 2, BODY, 8], 'branch', '`branch { … }` is a branch of a `parallel`: it can only stand directly inside `parallel { … }`'));
    const inIf = await check(flow('  if true {\n    branch { step a: Notifier }\n  }'));
    assert.equal(inIf.errors[0].message, '`branch { … }` is a branch of a `parallel`: it can only stand directly inside `parallel { … }`');
  });

  it('a step may still be named `branch`', async () => {
    const def = await build(flow('  step branch: Notifier\n  step b: Notifier { prompt: "${branch.output}" }'));
    assert.deepEqual(def.flows.F.body.map((s) => s.id), ['F/branch', 'F/b']);
  });

  it('parallel concurrency outside 1–100 is out-of-range, on the number', async () => {
    const { errors } = await check(flow('  parallel concurrency 0 {\n    step a: Notifier\n  }'));
    assert.deepEqual(errors, [p('out-of-range', [BODY, 23, BODY, 24], '0', 'concurrency must be a whole number from 1 to 100, not 0')]);
  });

  it('formats branch { … } and parallel concurrency like other blocks, idempotently', async () => {
    const messy = flow('parallel   concurrency 2{\nbranch{\nstep a: Notifier\n  step b: Notifier\n}\n    branch { step c: Notifier }\n}');
    const formatted = await format(messy);
    assert.equal(formatted, flow('  parallel concurrency 2 {\n    branch {\n      step a: Notifier\n      step b: Notifier\n    }\n    branch { step c: Notifier }\n  }'));
    assert.equal(await format(formatted), formatted);
  });

  it('the outline shows `parallel concurrency 1` with `branch 1` holding its steps', async () => {
    const lines = await outline(flow(BRANCHES));
    assert.deepEqual(lines.slice(lines.indexOf('F (undefined)') >= 0 ? 0 : lines.findIndex((l) => l.startsWith('F '))), [
      'F ()',
      '  parallel concurrency 1',
      '    branch 1',
      '      check_in (→ Intake)',
      '      room (→ Notifier)',
      '    bill (→ Notifier)',
      '  close (→ Notifier)',
    ]);
  });

  it('hover on `branch` and on `concurrency` says what they do', async () => {
    assert.match((await hoverAt(flow('  parallel {\n    bra<|>nch { step a: Notifier }\n  }'))) ?? '', /^\*\*branch\*\* `\{ … \}`: several statements that are together one branch/);
    assert.equal(
      await hoverAt(flow('  parallel con<|>currency 1 {\n    step a: Notifier\n  }')),
      '**concurrency** 1: at most one branch at a time (interleaved: in source order, never two at once); the next branch starts when one ends (a waiting branch keeps its slot).',
    );
  });

  it('completion offers `branch` (and its snippet) where a branch of a parallel starts, not elsewhere', async () => {
    const inside = await completeAt(flow('  parallel {\n    <|>\n  }'));
    assert.ok(inside.includes('branch') && inside.includes('branch …'), inside.join(', '));
    const outside = await completeAt(flow('  <|>'));
    assert.ok(!outside.includes('branch'), outside.join(', '));
  });
});

describe('language: range()', () => {
  it('range(n) and range(from, to) type as a list of numbers: a foreach over it checks', async () => {
    const def = await build(flow('  foreach i in range(3) {\n    step q: Notifier { prompt: "quote ${i + 1}" }\n  }\n  foreach j in range(2, 4) {\n    step r: Notifier\n  }'));
    assert.equal(def.flows.F.body.length, 2);
  });

  it('range("3") is type-mismatch on the argument; range(2.5) and range(20000) are out-of-range', async () => {
    const { errors } = await check(flow('  let a = range("3")\n  let b = range(2.5)\n  let c = range(20000)\n  let d = range(5, 10005)\n  let e = range(1, 2, 3)'));
    assert.deepEqual(errors, [
      p('type-mismatch', [BODY, 16, BODY, 19], '"3"', 'range() counts with numbers, but this is "3"'),
      p('out-of-range', [BODY + 1, 16, BODY + 1, 19], '2.5', 'range() counts in whole numbers, not 2.5'),
      p('out-of-range', [BODY + 2, 10, BODY + 2, 22], 'range(20000)', 'range() gives at most 10,000 numbers, not 20000'),
      p('wrong-argument-count', [BODY + 4, 10, BODY + 4, 15], 'range', 'range(from, to?) takes 1 to 2 arguments, not 3'),
    ]);
  });

  it('hover on range shows its signature', async () => {
    assert.match((await hoverAt(flow('  let a = ran<|>ge(3)'))) ?? '', /^`range\(from: number, to\?: number\) → number\[\]`/);
  });
});

describe('language: partial joins (first N, until, where, keep)', () => {
  it('builds the JoinSpec of `parallel first 2`, `parallel first keep`, `parallel until …`, `foreach … first 2 where … keep`', async () => {
    const def = await build(
      flow(`  parallel first 2 {
    step a: Notifier
    step b: Notifier
    step c: Notifier
  }
  parallel first keep {
    step d: Notifier
    step e: Notifier
  }
  parallel until f.status == "succeeded" {
    step f: Notifier
    step g: Notifier
  }
  foreach s in ["x", "y", "z"] concurrency 2 first 2 where i.output.severity == "LOW" keep {
    step i: Intake { prompt: "\${s}" }
  }`),
    );
    const [p1, p2, p3, loop] = def.flows.F.body;
    assert.deepEqual(p1.kind === 'parallel' && p1.join, { kind: 'first', count: 2, rest: 'cancel' });
    assert.deepEqual(p2.kind === 'parallel' && p2.join, { kind: 'first', count: 1, rest: 'keep' });
    assert.ok(p3.kind === 'parallel' && p3.join?.kind === 'until' && p3.join.rest === 'cancel');
    assert.ok(loop.kind === 'foreach' && loop.concurrency === 2 && loop.join?.kind === 'first' && loop.join.count === 2 && loop.join.where !== undefined && loop.join.rest === 'keep');
  });

  it('steps may still be named first, keep and where', async () => {
    const def = await build(flow('  step first: Notifier\n  step keep: Notifier\n  step where: Notifier { prompt: "${first.output} ${keep.output}" }'));
    assert.deepEqual(def.flows.F.body.map((s) => s.id), ['F/first', 'F/keep', 'F/where']);
  });

  it('first N out of range: 0 without keep, more than the branches, more than a literal list or range(k) — on the number', async () => {
    const { errors } = await check(
      flow(`  parallel first 0 {
    step a: Notifier
  }
  parallel first 3 {
    step b: Notifier
    step c: Notifier
  }
  foreach x in range(2) first 3 {
    step d: Notifier
  }
  foreach y in ["p"] first 0 keep {
    step e: Notifier
  }`),
    );
    assert.deepEqual(errors, [
      p('out-of-range', [BODY, 17, BODY, 18], '0', 'first needs a whole number from 1 to 1 (0 only with `keep`), not 0'),
      p('out-of-range', [BODY + 3, 17, BODY + 3, 18], '3', 'first 3 can never be reached: it waits for more than the 2 branches of this `parallel`'),
      p('out-of-range', [BODY + 7, 30, BODY + 7, 31], '3', 'first 3 can never be reached: it waits for more than the 2 items of this list'),
    ]);
  });

  it('`where` on a parallel is join-where-needs-foreach, on the keyword', async () => {
    const { errors } = await check(flow('  parallel first 1 where true {\n    step a: Notifier\n    step b: Notifier\n  }'));
    assert.deepEqual(errors, [p('join-where-needs-foreach', [BODY, 19, BODY, 24], 'where', '`where` picks the iterations of a `foreach` that count; on a `parallel`, write `until <condition>` instead')]);
  });

  it('a join condition reads the block: a foreach its iteration (step and loop variable), a parallel its branches with a status check', async () => {
    const { errors } = await check(
      flow(`  foreach s in ["x"] first 1 where i.output.severity == "LOW" && s != "y" {
    step i: Intake { prompt: "\${s}" }
  }
  parallel until a.status == "succeeded" || len(b.output ?? "") > 0 {
    step a: Notifier
    step b: Notifier
  }
  parallel until len(c.output) > 0 {
    step c: Notifier
  }`),
    );
    assert.deepEqual(errors, [
      p('step-maybe-skipped', [BODY + 7, 21, BODY + 7, 22], 'c', 'step `c` may not have ended when this join condition is evaluated (after each branch ends); read it with `??` or check `c.status` first'),
    ]);
  });

  it('after a partial join, a branch\'s step (or an iteration of a foreach with a join) read without a guard is step-maybe-skipped', async () => {
    const { errors } = await check(
      flow(`  parallel first 1 {
    step a: Notifier
    step b: Notifier
  }
  step c: Notifier { prompt: "\${a.output} \${b.output ?? "-"}" }
  foreach s in ["x"] first 1 {
    step d: Notifier
  }
  step e: Notifier { prompt: "\${d[0].output} \${len(d)}" }`),
    );
    assert.deepEqual(
      errors.map((e) => [e.code, e.text, e.range[0] - BODY]),
      [
        ['step-maybe-skipped', 'a', 4],
        ['step-maybe-skipped', 'd', 8],
      ],
    );
  });

  it('formats a join clause one space apart, idempotently', async () => {
    const messy = flow('  parallel   first   2    keep{\n    step a: Notifier\n    step b: Notifier\n  }\n  foreach s in ["x"]  first 1   where   s == "x"   keep {\n    step c: Notifier\n  }');
    const formatted = await format(messy);
    assert.equal(formatted, flow('  parallel first 2 keep {\n    step a: Notifier\n    step b: Notifier\n  }\n  foreach s in ["x"] first 1 where s == "x" keep {\n    step c: Notifier\n  }'));
    assert.equal(await format(formatted), formatted);
  });

  it('hover on first, until, where and keep says what the join does', async () => {
    assert.equal(
      await hoverAt(flow('  parallel fir<|>st 2 {\n    step a: Notifier\n    step b: Notifier\n  }')),
      '**first** 2: the block goes on once 2 of its branches ended without failure; the rest are cancelled (withdrawn: running calls aborted, their steps `cancelled`, not compensated). A failing one does not count; the block fails with `JOIN_UNREACHABLE` only when 2 can no longer be reached.',
    );
    assert.match((await hoverAt(flow('  parallel first k<|>eep {\n    step a: Notifier\n  }'))) ?? '', /^\*\*keep\*\*: once the join is reached, the other branches run on/);
    assert.match((await hoverAt(flow('  foreach s in ["x"] un<|>til s == "x" {\n    step a: Notifier\n  }'))) ?? '', /^\*\*until\*\* <condition>: evaluated each time one of the iterations ended \(in that iteration\)/);
    assert.match((await hoverAt(flow('  foreach s in ["x"] first 1 wh<|>ere s == "x" {\n    step a: Notifier\n  }'))) ?? '', /^\*\*where\*\* <condition>/);
  });

  it('completion after `parallel ` offers concurrency, first and until; after `first 2 ` offers keep', async () => {
    const afterParallel = await completeAt(flow('  parallel <|>'));
    for (const k of ['concurrency', 'first', 'until']) assert.ok(afterParallel.includes(k), `${k} in ${afterParallel.join(', ')}`);
    const afterFirst = await completeAt(flow('  parallel first 2 <|>'));
    assert.ok(afterFirst.includes('keep'), afterFirst.join(', '));
  });

  it('the outline names a parallel and a foreach with their join', async () => {
    const lines = await outline(flow('  parallel first 2 keep {\n    step a: Notifier\n    step b: Notifier\n  }\n  foreach s in ["x"] until s == "x" {\n    step c: Notifier\n  }'));
    assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('F '))), [
      'F ()',
      '  parallel first 2 keep',
      '    a (→ Notifier)',
      '    b (→ Notifier)',
      '  foreach s in ["x"] until s == "x"',
      '    s (loop variable)',
      '    c (→ Notifier)',
    ]);
  });
});
