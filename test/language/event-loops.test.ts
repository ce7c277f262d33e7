import assert from 'node:assert/strict';
import type { ForeachNode } from '@baton/protocol';
import { AGENTS, build, check, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * `foreach x in event "…" [where …] [timeout D] [concurrency N] [until … | first N …] { … }`: multiple instances
 * created at run time from events. Parsing (beside `foreach x in event.output…` over a step named `event`), IR,
 * checker (codes and exact ranges), formatting, outline, hover and completion.
 */

const DECL = 'event "line.added" {\n  data: { order_id: string, sku: string, last: boolean }\n}\n';
const BODY = (DECL + AGENTS).split('\n').length;
const flow = (body: string, decl = DECL): string => `${decl}${AGENTS}flow F {\n  input order_id: string\n${body}\n}\n`;
const LOOP = '  foreach line in event "line.added" where order_id == input.order_id timeout 1d until line.data.last {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }';

describe('language: foreach … in event', () => {
  it('compiles to a foreach with an event source (event, correlation, timeout) and the join; no items', async () => {
    const def = await build(flow(`${LOOP}\n  step b: Notifier { prompt: "\${len(a)}" }`));
    const loop = def.flows.F.body[0] as ForeachNode;
    assert.equal(loop.kind, 'foreach');
    assert.equal(loop.items, undefined);
    assert.equal(loop.source?.event, 'line.added');
    assert.deepEqual(loop.source?.where?.path, ['order_id']);
    assert.equal(loop.source?.timeoutMs, 86_400_000);
    assert.equal(loop.join?.kind, 'until');
    assert.equal(loop.concurrency, undefined);
  });

  it('`foreach x in event.output.items` still goes over a step named `event` (the STRING after `event` decides)', async () => {
    const def = await build(flow('  step event: Intake\n  foreach x in event.output.systems {\n    step b: Notifier { prompt: "${x}" }\n  }'));
    const loop = def.flows.F.body[1] as ForeachNode;
    assert.equal(loop.source, undefined);
    assert.deepEqual(loop.items && loop.items.kind, 'member');
  });

  it('until event "…" [where …] is the terminating event (IR source.end), beside a join `until <condition>`; a join condition that starts with a step named `event` is written in parentheses', async () => {
    const closed = 'event "order.closed" {\n  data: { id: string }\n}\n';
    const def = await build(flow('  foreach line in event "line.added" until event "order.closed" where id == input.order_id until line.data.last {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }', DECL + closed));
    const loop = def.flows.F.body[0] as ForeachNode;
    assert.equal(loop.source?.end?.event, 'order.closed');
    assert.deepEqual(loop.source?.end?.where?.path, ['id']);
    assert.equal(loop.join?.kind, 'until');
    const paren = await build(flow('  step event: Intake\n  foreach x in event "line.added" timeout 1d until (event.output.amount ?? 0) > 1 {\n    step b: Notifier { prompt: "${x.data.sku}" }\n  }'));
    assert.equal((paren.flows.F.body[1] as ForeachNode).join?.kind, 'until');
    assert.equal((paren.flows.F.body[1] as ForeachNode).source?.end, undefined);
  });

  it('a terminating event that is the loop\'s own event is event-loop-same-end, on its name; its `where` path is checked against its own data', async () => {
    const { errors } = await check(flow('  foreach line in event "line.added" until event "line.added" where skuu == "x" {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }'));
    assert.deepEqual(errors, [
      p('event-loop-same-end', [BODY + 1, 49, BODY + 1, 61], '"line.added"', 'the terminating event is the loop\'s own event "line.added": each one would both start an instance and end the arrivals; end them with another event (`until event "order.closed"`), the data (`until line.data.last` before `{`) or a `timeout`'),
      p('unknown-field', [BODY + 1, 68, BODY + 1, 72], 'skuu', 'event "line.added"\'s data has no field `skuu`; it has order_id, sku, last'),
    ]);
  });

  it('a loop nothing ends is event-loop-unbounded, on the event name', async () => {
    const { errors } = await check(flow('  foreach line in event "line.added" {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }'));
    assert.deepEqual(errors, [
      p('event-loop-unbounded', [BODY + 1, 24, BODY + 1, 36], '"line.added"', 'this loop never ends: nothing closes its arrivals of event "line.added"; add `until event "…"` or `timeout 1d` after the event, or `until <condition>` (or `first N`) before `{`'),
    ]);
    // either a timeout or a join is enough
    assert.deepEqual((await check(flow('  foreach line in event "line.added" timeout 1h {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }'))).errors, []);
    assert.deepEqual((await check(flow('  foreach line in event "line.added" first 2 {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }'))).errors, []);
  });

  it('the loop variable reads { data, at }: a field not in the event\'s data is unknown-field; a `where` path not in it too', async () => {
    const { errors } = await check(flow('  foreach line in event "line.added" where orderid == input.order_id timeout 1d {\n    step a: Notifier { prompt: "${line.data.skuu} ${line.at}" }\n  }'));
    assert.deepEqual(errors, [
      p('unknown-field', [BODY + 1, 43, BODY + 1, 50], 'orderid', 'event "line.added"\'s data has no field `orderid`; it has order_id, sku, last'),
      p('unknown-field', [BODY + 2, 44, BODY + 2, 48], 'skuu', '`line.data` has no field `skuu`; it has order_id, sku, last'),
    ]);
  });

  it('an event that says `buffer: none` is event-loop-needs-buffer; an invalid name is invalid-event-name; first 0 is out-of-range', async () => {
    const transient = 'event "line.added" {\n  data: { order_id: string, sku: string, last: boolean }\n  buffer: none\n}\n';
    const { errors } = await check(flow('  foreach line in event "line.added" timeout 1d first 0 keep {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }', transient));
    assert.deepEqual(errors, [
      p('event-loop-needs-buffer', [BODY + 2, 24, BODY + 2, 36], '"line.added"', 'event "line.added" says `buffer: none`, but this loop takes the events sent while its instances run; remove `buffer: none` (or give `buffer: D max N`)'),
      p('out-of-range', [BODY + 2, 54, BODY + 2, 55], '0', 'first needs a whole number from 1 on an event loop: it has no instance yet when it opens'),
    ]);
    const bad = await check(flow('  foreach line in event "line added" timeout 1d {\n    step a: Notifier\n  }'));
    assert.deepEqual(bad.errors.map((e) => [e.code, e.text]), [['invalid-event-name', '"line added"']]);
  });

  it('a var set in the body is var-set-concurrently (instances run side by side), unless the loop says concurrency 1', async () => {
    const body = (c: string): string => `  var n = 0\n  foreach line in event "line.added" timeout 1d${c} {\n    set n = n + 1\n  }`;
    const { errors } = await check(flow(body('')));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['var-set-concurrently', 'n']]);
    assert.match(errors[0].message, /instances that run side by side \(an event loop\)/);
    assert.deepEqual((await check(flow(body(' concurrency 1')))).errors, []);
  });

  it('formats the header with one space between its parts, idempotently', async () => {
    const messy = flow('  foreach line in   event  "line.added"   where order_id==input.order_id   timeout   1d  concurrency 2 until   line.data.last  {\n    step a: Notifier { prompt: "${line.data.sku}" }\n  }');
    const once = await format(messy);
    assert.ok(once.includes('  foreach line in event "line.added" where order_id == input.order_id timeout 1d concurrency 2 until line.data.last {\n'), once);
    assert.equal(await format(once), once);
    const ending = await format(flow('  foreach line in event "line.added"   until  event   "order.closed"   where id==input.order_id timeout 1d {\n    step a: Notifier\n  }', `${DECL}event "order.closed" { data: { id: string } }\n`));
    assert.ok(ending.includes('  foreach line in event "line.added" until event "order.closed" where id == input.order_id timeout 1d {\n'), ending);
    assert.equal(await format(ending), ending);
  });

  it('outline, hover and completion know the event loop', async () => {
    assert.deepEqual((await outline(flow(LOOP))).slice(-3), ['  foreach line in event line.added until line.data.last', '    line (loop variable)', '    a (→ Notifier)']);
    assert.match((await hoverAt(flow(LOOP.replace('in event', 'in ev<|>ent')))) ?? '', /^\*\*foreach … in event\*\*/);
    assert.equal(
      await hoverAt(flow(LOOP.replace('${line.data', '${li<|>ne.data'))),
      '**loop variable** `line` — the event "line.added" that started this instance  \nreads: `{ data: { order_id: string, sku: string, last: boolean }, at: string }`',
    );
    assert.match((await hoverAt(flow(LOOP.replace('"line.added"', '"line.<|>added"')))) ?? '', /^\*\*event\*\* "line\.added"/);
    assert.deepEqual(await completeAt(flow('  foreach line in event "line.added" timeout 1d {\n    step a: Notifier { prompt: "${line.data.<|>}" }\n  }')), ['order_id', 'sku', 'last']);
    assert.deepEqual(await completeAt(flow('  foreach line in event "line.added" where <|>')), ['order_id', 'sku', 'last']);
    assert.ok((await completeAt(flow('  foreach line in event "<|>'))).includes('line.added'));
  });
});
