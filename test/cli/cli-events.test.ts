import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, ROOT, tempWorkspace } from './cli-helper.js';

const ORDER = `event "payment.received" {
  data: { order_id: string, amount: number }
  buffer: 7d max 1
}
agent Ledger { stub: "booked" }
flow Order {
  input order_id: string
  output amount: number
  step invoice: Ledger { prompt: "Invoice \${input.order_id}" }
  wait event "payment.received" as payment where order_id == input.order_id timeout 3d
  step book: Ledger { prompt: "Book \${payment.data.amount ?? 0}" }
  set output.amount = payment.data.amount ?? 0
}
flow Later {
  input order_id: string
  output amount: number
  approval go { prompt: "Go?" }
  wait event "payment.received" as payment where order_id == input.order_id
  set output.amount = payment.data.amount
}
`;

type Logged = { type: string; step?: string; status?: string; buffered?: boolean };

describe('baton send with typed events, correlation, persistent triggers; baton test event … after', function () {
  // a test runs up to six baton processes one after another: on a busy 2-core machine each takes seconds
  this.timeout(60_000);
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'order.flow'), ORDER);
  });
  afterEach(() => ws.cleanup());

  const events = (id: string): Logged[] => (JSON.parse(baton(['runs', 'show', id, '--json'], { cwd: ws.dir }).stdout) as { events: Logged[] }).events;
  const started = (flow: string): string => {
    const r = baton(['run', 'order.flow', '--flow', flow, '--input', 'order_id=A1'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    return /run (\S+) stored/.exec(r.stdout)![1];
  };

  it('a payload that does not fit the event type is refused with the field named (exit 2), nothing stored; another order\'s is refused; the right one continues the run', () => {
    const id = started('Order');
    const bad = baton(['send', id, 'payment.received', '--data', '{"order_id":"A1","amount":"12"}'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'baton: event "payment.received": data.amount: got "12" (its data is { order_id: string, amount: number })');
    const other = baton(['send', id, 'payment.received', '--data', '{"order_id":"B2","amount":12}'], { cwd: ws.dir });
    assert.equal(other.code, 2);
    assert.match(other.stderr, /waits for event "payment.received" where order_id == "A1", but this event's order_id is "B2": it belongs to another run/);
    assert.equal(events(id).filter((e) => e.type === 'event.received').length, 0);
    const ok = baton(['send', id, 'payment.received', '--data', '{"order_id":"A1","amount":12}'], { cwd: ws.dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Delivered event "payment.received"/);
    assert.match(ok.stdout, /✓ succeeded .* amount=12/);
  });

  it('an event sent before the run waits is kept (exit 0, "Kept … until"), a second one over `max 1` is refused (exit 1), and the wait takes the kept one', () => {
    const id = started('Later');
    const kept = baton(['send', id, 'payment.received', '--data', '{"order_id":"A1","amount":5}'], { cwd: ws.dir });
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^Kept event "payment.received" for run \S+ until \d{4}-\d\d-\d\dT/);
    const full = baton(['send', id, 'payment.received', '--data', '{"order_id":"A1","amount":6}'], { cwd: ws.dir });
    assert.equal(full.code, 1);
    assert.match(full.stderr, /already keeps 1 event "payment.received" it has not waited for yet \(at most 1\); nothing was kept/);
    assert.match(baton(['runs', 'show', id], { cwd: ws.dir }).stdout, /^Kept {5}event "payment.received" \{"order_id":"A1","amount":5\} until \d{4}-/m);
    const approved = baton(['approve', id, 'go'], { cwd: ws.dir });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /✓ succeeded .* amount=5/);
    assert.deepEqual(events(id).filter((e) => e.type.startsWith('event.')).map((e) => `${e.type}${e.buffered ? ' (buffered)' : ''}`), ['event.buffered', 'event.waiting', 'event.received (buffered)']);
    assert.doesNotMatch(baton(['runs', 'show', id], { cwd: ws.dir }).stdout, /^Kept/m, 'taken: no longer listed');
  });

  it('kill -9 after the event was delivered, in the step after the wait: resume finishes without waiting again or repeating finished steps', () => {
    const id = started('Order');
    const killed = baton(['send', id, 'payment.received', '--data', '{"order_id":"A1","amount":12}'], { cwd: ws.dir, env: { BATON_CRASH_AT: 'book' } });
    assert.equal(killed.code, -1, 'killed by a signal, no exit code');
    const before = events(id);
    assert.deepEqual([before.some((e) => e.type === 'step.started' && e.step === 'book'), before.some((e) => e.type === 'step.finished' && e.step === 'book')], [true, false], 'killed inside book');
    const resumed = baton(['resume', id], { cwd: ws.dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /✓ succeeded .* amount=12/);
    const log = events(id);
    assert.deepEqual(log.filter((e) => e.type === 'step.finished').map((e) => e.step), ['invoice', 'book'], 'each step finished once');
    assert.equal(log.filter((e) => e.type === 'event.waiting').length, 1, 'it never waited again');
    assert.equal(log.filter((e) => e.type === 'event.received').length, 1);
  });

  it('baton test proves the event patterns: payment before/after the timeout, correlation, WCP-23 transient and WCP-24 persistent triggers', () => {
    copyFileSync(path.join(ROOT, 'test/cli/fixtures/event-patterns.flow'), path.join(ws.dir, 'patterns.flow'));
    const r = baton(['test', 'patterns.flow'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /6 passed, 0 failed/);
  });
});
