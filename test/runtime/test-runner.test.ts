import assert from 'node:assert/strict';
import type { TestDef } from '@baton/protocol';
import { SqliteRunStore, runTests } from '../../packages/runtime/src/index.js';
import { compile } from './helpers.js';

const WAITS = `agent Worker {
  output: { n: number }
  stub: { n: 1 }
}
agent Pager {
  output: { sent: boolean }
  stub: { sent: true }
}

flow Waits {
  output before: string
  output after: string
  step first: Worker { prompt: "one" }
  set output.before = now()
  wait 1s
  wait 2d
  step second: Worker { prompt: "two \${first.output.n}" }
  set output.after = now()
}

flow Approves {
  output decided: string
  approval signoff {
    prompt: "ok?"
  }
  set output.decided = signoff.output.decision
}

flow EscalatesAfterTimer {
  output decision: string
  parallel {
    approval signoff {
      prompt: "ok?"
      timeout: 4h
      on timeout {
        step page: Pager { prompt: "nobody decided" }
      }
    }
    wait 1d
  }
  set output.decision = signoff.output.decision
}

test "timers take no time" {
  flow: Waits
  expect: status == "succeeded" && second.status == "succeeded"
}

test "an approval still waits" {
  flow: Approves
  expect: status == "waiting"
}

test "an approval's deadline passes while a longer timer runs" {
  flow: EscalatesAfterTimer
  expect: status == "succeeded" && output.decision == "timeout" && page.status == "succeeded"
}
`;

describe('runtime: test runner timers', () => {
  it('fires short and long timers at once on a virtual clock, through the stored (resumed) path for long ones', async () => {
    const def = await compile(WAITS);
    const store = SqliteRunStore.open(':memory:');
    try {
      const results = await runTests(def, def.tests as TestDef[], { store });
      assert.deepEqual(
        results.map((r) => [r.name, r.passed, r.status, r.message]),
        [
          ['timers take no time', true, 'succeeded', undefined],
          ['an approval still waits', true, 'waiting', undefined],
          ["an approval's deadline passes while a longer timer runs", true, 'succeeded', undefined],
        ],
      );
      const waits = results[0];
      const run = await store.getRun(waits.runId!);
      // the flow's clock moved by the timers' durations: now() after the waits is 2 days and 1 s later
      const elapsed = Date.parse(run.outputs.after as string) - Date.parse(run.outputs.before as string);
      assert.equal(elapsed, 2 * 24 * 3600_000 + 1000);
      const types = (await store.getEvents(run.id)).map((e) => e.type);
      assert.equal(types.filter((t) => t === 'timer.fired').length, 2);
      assert.equal(types.filter((t) => t === 'run.waiting').length, 1, 'the long timer left the run waiting once');
      assert.equal(types.filter((t) => t === 'run.resumed').length, 1, 'and the runner resumed it');
    } finally {
      await store.close();
    }
  });
});

const TOOL_DECISIONS = `
agent Pay { stub: { paid: true } }
flow Refund {
  input order: number
  output paid: boolean
  step pay: Pay { prompt: "refund \${input.order}" }
  set output.paid = pay.output.paid
}
agent Support {
  output: { reply: string }
  tools: [Refund { approval: "finance" }]
  stub: turns([call("Refund", { order: 1 }), call("Refund", { order: 2 })], [call("Refund", { order: 3 })], { reply: "done" })
}
flow Help {
  step answer: Support { prompt: "help" }
}

test "each line decides one waiting call of the tool, in order" {
  flow: Help
  decide answer.Refund: "approved"
  decide answer.Refund: "rejected"
  decide answer.Refund: "approved"
  expect: status == "succeeded"
}

test "a call no line decides leaves the run waiting" {
  flow: Help
  decide answer.Refund: "approved"
  expect: status == "waiting"
}
`;

describe('runtime: test runner decides tool calls (decide <step>.<tool>)', () => {
  it('decides the waiting approvals of a tool in a step: approved calls run, a rejected one is refused to the model', async () => {
    const def = await compile(TOOL_DECISIONS);
    const store = SqliteRunStore.open(':memory:');
    try {
      const results = await runTests(def, def.tests as TestDef[], { store });
      assert.deepEqual(results.map((r) => [r.name, r.passed, r.status, r.message]), [
        ['each line decides one waiting call of the tool, in order', true, 'succeeded', undefined],
        ['a call no line decides leaves the run waiting', true, 'waiting', undefined],
      ]);
      const events = await store.getEvents(results[0].runId!);
      const decided = events.flatMap((e) => (e.type === 'approval.decided' ? [[e.task, e.decision, e.by]] : []));
      assert.deepEqual(decided, [
        ['answer/stub-1-1', 'approved', 'test'],
        ['answer/stub-1-2', 'rejected', 'test'],
        ['answer/stub-2-1', 'approved', 'test'],
      ]);
      const finished = events.flatMap((e) => (e.type === 'tool.finished' ? [[e.callId, e.status, e.error?.code]] : []));
      assert.deepEqual(finished.sort(), [
        ['stub-1-1', 'succeeded', undefined],
        ['stub-1-2', 'refused', 'TOOL_REFUSED'],
        ['stub-2-1', 'succeeded', undefined],
      ]);
      const paid = events.flatMap((e) => (e.type === 'step.finished' && e.step.endsWith('/pay') ? [e.step] : []));
      assert.deepEqual(paid.sort(), ['answer/stub-1-1/pay', 'answer/stub-2-1/pay'], 'the rejected call did not run');
      const second = (await store.getRun(results[1].runId!)).waitingOn;
      assert.deepEqual(second.map((w) => w.kind === 'approval' && w.task), ['answer/stub-1-2']);
    } finally {
      await store.close();
    }
  });
});
