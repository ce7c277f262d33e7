import assert from 'node:assert/strict';
import { EmptyFileSystem } from 'langium';
import { parseHelper } from 'langium/test';
import { check } from './helpers.js';
import { exprToText } from '@baton/protocol';
import { compileWorkflow, createBatonServices } from '../../language/src/index.js';

const EVENT = `/** The bank confirmed a payment. */
event "payment.received" {
  data: { order_id: string, amount: number, currency: "EUR" | "USD" }
  buffer: 7d max 100
}
agent Ledger { instructions: "Book the payment." stub: "ok" }
`;

/** Checks `body` inside `flow Order { input order_id: string … }` after the event declaration; line 0 of ranges is the text's first line. */
const inFlow = (body: string): string => `${EVENT}flow Order {\n  input order_id: string\n${body}\n}\n`;
/** Line of the flow body's first line (the event declaration, the agent and the flow header come first). */
const BODY = 8;

describe('language: typed events (event declarations, wait event … as / where / on timeout)', () => {
  it('a named wait reads its declared data: fields check, and a field not in `data` is unknown-field on the member', async () => {
    const ok = await check(inFlow('  wait event "payment.received" as payment where order_id == input.order_id\n  step book: Ledger { prompt: "Book ${payment.data.amount} ${payment.data.currency} at ${payment.at}, ${payment.status}" }'));
    assert.deepEqual(ok.errors, []);
    const bad = await check(inFlow('  wait event "payment.received" as payment\n  step book: Ledger { prompt: "Book ${payment.data.amout}" }'));
    assert.deepEqual(bad.errors, [
      {
        code: 'unknown-field',
        range: [BODY + 1, 51, BODY + 1, 56],
        text: 'amout',
        message: '`payment.data` has no field `amout`; it has order_id, amount, currency',
      },
    ]);
  });

  it('`payment.status` is "received" | "timeout" | "waiting" | "skipped": comparing it with another text never matches', async () => {
    const { errors } = await check(inFlow('  wait event "payment.received" as payment timeout 1d\n  if payment.status == "decided" { fail "x" }'));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['type-mismatch', '"decided"']]);
  });

  it('the where path must be a field of the data (unknown-field on the path) and its value able to equal it (type-mismatch on the value)', async () => {
    const { errors } = await check(inFlow('  wait event "payment.received" where order_idd == input.order_id\n  wait event "payment.received" where amount == input.order_id'));
    assert.deepEqual(errors, [
      { code: 'unknown-field', range: [BODY, 38, BODY, 47], text: 'order_idd', message: 'event "payment.received"\'s data has no field `order_idd`; it has order_id, amount, currency' },
      { code: 'type-mismatch', range: [BODY + 1, 48, BODY + 1, 62], text: 'input.order_id', message: '`amount` is number, but this is string: the event never matches' },
    ]);
  });

  it('a wait is read like a step: before it runs (step-used-before-run) and after its own `on timeout` arm', async () => {
    const { errors } = await check(inFlow('  step early: Ledger { prompt: "${payment.data.amount}" }\n  wait event "payment.received" as payment timeout 3d on timeout {\n    step chase: Ledger { prompt: "Chase ${payment.status}" }\n  }'));
    assert.deepEqual(errors.map((e) => [e.code, e.text, e.range[0]]), [['step-used-before-run', 'payment', BODY]]);
  });

  it('`on timeout` without `timeout` is timeout-branch-without-timeout on the arm (waits and approvals)', async () => {
    const { errors } = await check(inFlow('  wait event "payment.received" on timeout { fail "late" }\n  approval ok { prompt: "?" on timeout { fail "late" } }'));
    assert.deepEqual(errors.map((e) => [e.code, e.range, e.text, e.message]), [
      ['timeout-branch-without-timeout', [BODY, 32, BODY, 58], 'on timeout { fail "late" }', '`on timeout { … }` never runs: this wait has no `timeout`; write `timeout 3d` before it'],
      ['timeout-branch-without-timeout', [BODY + 1, 28, BODY + 1, 54], 'on timeout { fail "late" }', '`on timeout { … }` never runs: this approval has no `timeout:`; add `timeout: 2d`'],
    ]);
  });

  it('event names: invalid-event-name on the string, duplicate-name on a second declaration, out-of-range on buffer bounds', async () => {
    const { errors } = await check(`event "pay ment" { data: { a: string } }\nevent "x" { buffer: 400d max 0 }\nevent "x" { buffer: none }\nflow F {\n  wait event "a/b"\n}\n`);
    assert.deepEqual(errors.map((e) => [e.code, e.range, e.text, e.message]), [
      ['invalid-event-name', [0, 6, 0, 16], '"pay ment"', 'invalid event name "pay ment": use 1 to 200 letters, digits and _ . : - (it appears in URLs and commands)'],
      ['out-of-range', [1, 20, 1, 24], '400d', '`buffer: 400d` is out of range: an event is kept from 1s to 365d'],
      ['out-of-range', [1, 29, 1, 30], '0', '`max 0` is out of range: a buffer keeps 1 to 10000 events per run'],
      ['duplicate-name', [2, 6, 2, 9], '"x"', 'duplicate event "x": it is already declared in this file'],
      ['invalid-event-name', [4, 13, 4, 18], '"a/b"', 'invalid event name "a/b": use 1 to 200 letters, digits and _ . : -'],
    ]);
  });

  it('an event may share a name with a flow (events have their own names), and the soft keywords still name steps', async () => {
    const { errors } = await check(`event "Order" { }\nagent W { instructions: "Send it." stub: "ok" }\nflow Order {\n  step data: W\n  step where: W\n  step as: W\n  step after: W\n  step none: W\n  step buffer: W\n}\n`);
    assert.deepEqual(errors, []);
  });

  it('compiles declarations and waits to IR: data type, buffer, name (its id), correlation, timeout arm', async () => {
    const services = createBatonServices(EmptyFileSystem);
    const document = await parseHelper(services.Baton)(inFlow('  wait event "payment.received" as payment where order_id == input.order_id timeout 3d on timeout {\n    fail "late"\n  }\n  wait event "door.open"'), { documentUri: 'file:///ir/order.flow' });
    const def = compileWorkflow([document]);
    assert.deepEqual(def.events?.['payment.received'].buffer, { ms: 7 * 24 * 3600 * 1000, max: 100 });
    assert.deepEqual(def.events?.['payment.received'].data?.kind, 'record');
    assert.equal(def.events?.['payment.received'].doc, 'The bank confirmed a payment.');
    const [named, plain] = def.flows.Order.body;
    assert.equal(named.kind, 'waitEvent');
    if (named.kind !== 'waitEvent' || plain.kind !== 'waitEvent') return;
    assert.equal(named.id, 'Order/payment');
    assert.equal(named.name, 'payment');
    assert.deepEqual(named.where?.path, ['order_id']);
    assert.equal(named.where && exprToText(named.where.value), 'input.order_id');
    assert.equal(named.timeoutMs, 3 * 24 * 3600 * 1000);
    assert.equal(named.onTimeout?.[0].kind, 'fail');
    assert.equal(plain.id, 'Order/wait@1');
    assert.equal(plain.name, undefined);
  });
});
