import assert from 'node:assert/strict';
import type { LockNode } from '@baton/protocol';
import { AGENTS, build, check, checkText, completeAt, format, hoverAt, outline, p } from './helpers.js';

/*
 * `lock "name" [timeout D] { … } [on timeout { … }]` (issue 12, WCP-39): parsing, IR, checker (codes and exact
 * ranges), formatting, outline, hover and completion.
 */

const BODY = AGENTS.split('\n').length;
const flow = (body: string): string => `${AGENTS}flow F {\n  input sku: string\n${body}\n}\n`;
const LOCKED = `  lock "stock:\${input.sku}" timeout 10m {
    step count: Notifier { prompt: "count \${input.sku}" }
  } on timeout {
    step busy: Notifier { prompt: "busy" }
  }`;

describe('language: lock blocks', () => {
  it('a lock block builds a lock node: its name template, timeout, body and on timeout', async () => {
    const def = await build(flow(LOCKED));
    const lock = def.flows.F.body[0] as LockNode;
    assert.equal(lock.kind, 'lock');
    assert.equal(lock.id, 'F/lock@0');
    assert.equal(lock.timeoutMs, 600_000);
    assert.equal(lock.name.kind, 'template');
    assert.deepEqual(lock.body.map((s) => s.id), ['F/count']);
    assert.deepEqual(lock.onTimeout?.map((s) => s.id), ['F/busy']);
  });

  it('on timeout without a timeout is timeout-branch-without-timeout, on the arm', async () => {
    const { errors } = await check(flow('  lock "x" {\n    step a: Notifier\n  } on timeout {\n    step b: Notifier\n  }'));
    assert.deepEqual(errors.map((e) => [e.code, e.range, e.message]), [
      ['timeout-branch-without-timeout', [BODY + 3, 4, BODY + 5, 3], '`on timeout { … }` never runs: this lock has no `timeout`; write `timeout 10m` before its `{`'],
    ]);
  });

  it('a lock inside a lock of the same name is lock-reentered, on the inner name; another name is fine', async () => {
    const { errors } = await check(flow('  lock "x" {\n    lock "x" {\n      step a: Notifier\n    }\n    lock "y" {\n      step b: Notifier\n    }\n  }'));
    assert.deepEqual(errors, [p('lock-reentered', [BODY + 2, 9, BODY + 2, 12], '"x"', 'lock "x" inside a lock "x" block would wait for itself (locks are not re-entrant): the run would fail with LOCK_DEADLOCK')]);
  });

  it('an empty lock name is invalid-lock-name', async () => {
    const { errors } = await check(flow('  lock "" {\n    step a: Notifier\n  }'));
    assert.deepEqual(errors, [p('invalid-lock-name', [BODY + 1, 7, BODY + 1, 9], '""', 'a lock needs a name: `lock "stock:${input.sku}" { … }`')]);
  });

  it('a step of a lock body with on timeout may be skipped: read after it unguarded is step-maybe-skipped; without on timeout it is not', async () => {
    const { errors } = await check(flow(`${LOCKED}\n  step after: Notifier { prompt: "\${count.output}" }`));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [['step-maybe-skipped', 'count']]);
    const plain = await check(flow('  lock "x" {\n    step count: Notifier\n  }\n  step after: Notifier { prompt: "${count.output}" }'));
    assert.deepEqual(plain.errors, []);
  });

  it('`lock` is a reserved word but still a field name (`x.lock`) and an input name', async () => {
    const { document } = await checkText(flow('  step lock: Notifier'));
    assert.ok(document.parseResult.parserErrors.length > 0, 'a step cannot be named lock');
    await build(`${AGENTS}flow G {\n  input lock: string\n  step a: Notifier { prompt: "\${input.lock}" }\n}\n`);
  });

  it('formats a lock block: one space between its parts, on timeout on the closing brace line; idempotent', async () => {
    const messy = flow('lock   "stock:${input.sku}"   timeout   10m{\nstep count: Notifier\n}\n   on timeout {\nstep busy: Notifier\n}');
    const formatted = await format(messy);
    assert.equal(formatted, flow('  lock "stock:${input.sku}" timeout 10m {\n    step count: Notifier\n  } on timeout {\n    step busy: Notifier\n  }'));
    assert.equal(await format(formatted), formatted);
  });

  it('the outline shows the lock with its body and its on timeout arm', async () => {
    const lines = await outline(flow(LOCKED));
    assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('F '))), ['F ()', '  sku (input: string)', '  lock "stock:${input.sku}"', '    count (→ Notifier)', '    on timeout', '      busy (→ Notifier)']);
  });

  it('hover on `lock` says what a critical section does and how long it waits', async () => {
    const text = await hoverAt(flow(LOCKED.replace('lock "stock', 'lo<|>ck "stock')));
    assert.match(text ?? '', /^\*\*lock\*\* "stock:\$\{input\.sku\}" `\{ … \}`: a critical section/);
    assert.match(text ?? '', /waits at most 10m, then runs `on timeout` instead/);
  });

  it('completion offers the lock snippet where a statement starts', async () => {
    assert.ok((await completeAt(flow('  <|>'))).includes('lock …'));
  });
});
