import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, tempWorkspace, type CrashReport } from './cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest } from '../cluster/test-services.js';

/*
 * `wait first { … }` through the built bin, on both stores: `baton run` stops with every arm open (`runs show` lists
 * them), `baton send` makes the event arm win, the `baton resume` that runs its body is killed (SIGKILL) in the
 * middle of it, a decision on the withdrawn approval arm is refused naming the winner, and the next resume ends the
 * run — the winner decided once, no finished step run again, no loser's body ever started. A choice won inside the
 * process (a signal from a sibling branch) survives `baton test --crash-at` the same way.
 */

const FLOW = `
agent Ledger {
  instructions: "Book payments and write off orders."
  stub: "ok"
}
event "payment.received" { data: { order_id: string, amount: number } }

flow Order {
  input order_id: string
  output outcome: string
  wait first {
    on event "payment.received" as payment where order_id == input.order_id {
      step book: Ledger { prompt: "Book \${payment.data.amount}" }
      step receipt: Ledger { prompt: "Receipt for \${input.order_id}" }
      set output.outcome = "paid"
    }
    on approval write_off {
      prompt: "Write off \${input.order_id}?"
      step close: Ledger { prompt: "Write off" }
      set output.outcome = "written off"
    }
    on timeout 3d {
      step expire: Ledger { prompt: "Expire" }
      set output.outcome = "expired"
    }
  }
}

flow Local {
  output outcome: string
  parallel {
    branch {
      step prepare: Ledger { prompt: "prepare" }
      signal ready
    }
    wait first {
      on signal ready {
        step go: Ledger { prompt: "go" }
        step done: Ledger { prompt: "done" }
        set output.outcome = "ready"
      }
      on timeout 1d {
        step late: Ledger { prompt: "late" }
      }
    }
  }
  step after: Ledger { prompt: "after" }
}
`;

interface Event {
  type: string;
  step?: string;
  node?: string;
  label?: string;
}

for (const kind of STORE_KINDS) {
  describe(`cli: wait first — kill -9 in the middle of the winning arm, resume (${kind.name})`, function () {
    this.timeout(300_000);
    let ws: ReturnType<typeof tempWorkspace>;
    let store: string;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_choice', { scope: 'suite' }) : undefined;
    before(() => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.dir, 'order.flow'), FLOW);
      store = database?.storeUrl ?? path.join(ws.dir, 'runs.db');
    });
    after(() => ws.cleanup());
    const cli = (args: string[], env: Record<string, string> = {}) => batonAsync([...args, '--store', store], { cwd: ws.dir, env });

    it('runs show lists the open arms; the winner is decided once, the killed resume repeats no finished step, a decision on a withdrawn arm is refused', async () => {
      const run = await cli(['run', 'order.flow', '--flow', 'Order', '--input', 'order_id=A1', '--json']);
      assert.equal(run.code, 0, run.stderr);
      const runId = (JSON.parse(run.stdout.trim().split('\n')[0]) as { runId: string }).runId;
      const shown = await cli(['runs', 'show', runId]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /Waiting {2}first of: event "payment\.received" — baton send \S+ payment\.received/);
      assert.match(shown.stdout, /\n {9}first of: approval "write_off" — baton approve \S+ write_off/);
      assert.match(shown.stdout, /\n {9}first of: a timer until \S+ — then: baton resume/);

      // the send continues the run: killed once the winner body's second step started (the first finished)
      const killed = await cli(['send', runId, 'payment.received', '--data', '{"order_id":"A1","amount":12}', '--json'], { BATON_CRASH_AT: 'receipt' });
      assert.equal(killed.code, -1, `killed by SIGKILL: ${killed.stderr}${killed.stdout}`);
      assert.ok(killed.stdout.split('\n').some((l) => l.includes('"step.finished"') && l.includes('"book"')), 'book finished before the kill');
      const refused = await cli(['approve', runId, 'write_off']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr + refused.stdout, /has no approval "write_off" waiting: it was withdrawn, event payment\.received came first/);
      const resumed = await cli(['resume', runId, '--json']);
      assert.equal(resumed.code, 0, resumed.stderr);

      const { events, run: stored } = JSON.parse((await cli(['runs', 'show', runId, '--json'])).stdout) as { events: Event[]; run: { status: string; outputs: Record<string, unknown> } };
      assert.deepEqual([stored.status, stored.outputs], ['succeeded', { outcome: 'paid' }]);
      assert.deepEqual(events.filter((e) => e.type === 'branch.taken').map((e) => e.label), ['wait first → event payment.received'], 'decided once');
      assert.deepEqual(events.filter((e) => e.type === 'wait.withdrawn').map((e) => e.node), ['Order/write_off', 'Order/on@0.2']);
      assert.deepEqual(events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['book', 'receipt'], 'book once; the losers never ran');
      const finished = new Set<string>();
      for (const e of events) {
        if (e.type === 'step.finished') finished.add(e.step!);
        if (e.type === 'step.started') assert.ok(!finished.has(e.step!), `step ${e.step} started again after it finished`);
      }
    });

    it('a choice won in the process (a signal from a sibling branch), killed in the winner body: baton test --crash-at resumes it, each step once', async () => {
      for (const step of ['go', 'done', 'after']) {
        const r = await batonAsync(['test', 'order.flow', '--flow', 'Local', '--crash-at', step, '--store', store, '--json'], { cwd: ws.dir });
        const report = JSON.parse(r.stdout) as CrashReport;
        assert.equal(r.code, 0, `${report.problem} ${r.stderr}`);
        assert.deepEqual([report.crashed, report.status], [true, 'succeeded']);
        assert.deepEqual(report.steps, { prepare: 1, go: 1, done: 1, after: 1 }, `killed at ${step}: each finished step once; late never ran`);
        const { events } = JSON.parse((await cli(['runs', 'show', report.runId, '--json'])).stdout) as { events: Event[] };
        assert.equal(events.filter((e) => e.type === 'branch.taken').length, 1, 'the choice is decided once');
      }
    });
  });
}
