import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Expr } from '@baton/protocol';
import { BatonError, evaluate, renderText, type EvalScope } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, tempStore } from './helpers.js';

const lit = (value: string | number | boolean | null): Expr => ({ kind: 'literal', value });
const ref = (name: string): Expr => ({ kind: 'ref', name });
const member = (object: Expr, property: string): Expr => ({ kind: 'member', object, property });
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
const call = (fn: string, ...args: Expr[]): Expr => ({ kind: 'call', fn, args });

function scope(vars: Record<string, unknown>): EvalScope {
  return { lookup: (name) => vars[name], now: () => '2026-01-01T00:00:00.000Z' };
}

describe('runtime: expressions', () => {
  it('evaluates arithmetic, comparison, logic, defaults, choice and membership', () => {
    const s = scope({ a: 6, b: 4, t: 'text', list: ['x', 'y'], rec: { k: 1 }, nothing: null });
    const cases: [Expr, unknown][] = [
      [bin('+', ref('a'), ref('b')), 10],
      [bin('%', ref('a'), ref('b')), 2],
      [bin('+', ref('t'), ref('a')), 'text6'],
      [bin('+', ref('list'), ref('list')), ['x', 'y', 'x', 'y']],
      [bin('<', ref('b'), ref('a')), true],
      [bin('==', ref('rec'), { kind: 'record', fields: [{ key: 'k', value: lit(1) }] }), true],
      [bin('&&', lit(0), ref('missing-never-read')), 0],
      [bin('||', lit(''), lit('fallback')), 'fallback'],
      [bin('??', ref('nothing'), lit('default')), 'default'],
      [bin('in', lit('y'), ref('list')), true],
      [bin('in', lit('k'), ref('rec')), true],
      [bin('in', lit('ex'), ref('t')), true],
      [{ kind: 'conditional', test: bin('>', ref('a'), lit(5)), then: lit('big'), else: lit('small') }, 'big'],
      [{ kind: 'index', object: ref('list'), index: lit(-1) }, 'y'],
      [{ kind: 'index', object: ref('list'), index: lit(9) }, null],
      [call('join', ref('list'), lit('+')), 'x+y'],
      [call('len', ref('t')), 4],
      [call('round', lit(2.345), lit(2)), 2.35],
      [call('max', lit(3), lit(9), lit(1)), 9],
    ];
    for (const [expr, expected] of cases) assert.deepEqual(evaluate(expr, s), expected, JSON.stringify(expr));
  });

  it('reports type errors, division by zero and unknown names with codes', () => {
    const s = scope({ a: 1, t: 'x' });
    const code = (expr: Expr): string => {
      try {
        evaluate(expr, s);
        return 'no error';
      } catch (error) {
        assert.ok(error instanceof BatonError);
        return error.code;
      }
    };
    assert.equal(code(bin('-', ref('t'), ref('a'))), 'EXPR_TYPE');
    assert.equal(code(bin('/', ref('a'), lit(0))), 'EXPR_DIVISION_BY_ZERO');
    assert.equal(code(ref('nope')), 'EXPR_UNKNOWN_NAME');
    assert.equal(code(bin('<', ref('a'), ref('t'))), 'EXPR_TYPE');
  });

  it('never reaches __proto__, constructor or prototype', () => {
    const s = scope({ rec: { k: 1 }, text: 'abc', list: [1] });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      assert.equal(evaluate(member(ref('rec'), key), s), null, `rec.${key}`);
      assert.equal(evaluate(member(ref('text'), key), s), null, `text.${key}`);
      assert.equal(evaluate({ kind: 'index', object: ref('rec'), index: lit(key) }, s), null, `rec["${key}"]`);
      assert.equal(evaluate(member(member(ref('list'), key), 'name'), s), null);
    }
    // a record literal or parsed JSON with a __proto__ key does not change any prototype
    const made = evaluate({ kind: 'record', fields: [{ key: '__proto__', value: { kind: 'record', fields: [{ key: 'polluted', value: lit(true) }] } }] }, s);
    assert.equal(Object.getPrototypeOf(made), Object.prototype);
    const parsed = evaluate(call('parseJson', lit('{"__proto__": {"polluted": true}, "a": {"constructor": {"prototype": {"polluted": true}}}}')), s);
    assert.equal(evaluate(member(ref('p'), 'polluted'), scope({ p: parsed })), null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  });

  it('inserts a value into a template as text, never evaluating it again', () => {
    const hostile = '${input.secret} "); process.exit(1); (" {{7*7}}';
    const tpl: Expr = { kind: 'template', parts: [{ kind: 'text', text: 'Got: ' }, { kind: 'expr', expr: ref('v') }] };
    assert.equal(renderText(tpl, scope({ v: hostile, secret: 'SHOULD-NOT-APPEAR' })), `Got: ${hostile}`);
  });

  it('a deeply nested expression fails with EXPR_TOO_DEEP instead of overflowing the stack', () => {
    let e: Expr = lit(1);
    for (let i = 0; i < 1000; i++) e = bin('+', e, lit(1));
    assert.throws(() => evaluate(e, scope({})), (err: BatonError) => err.code === 'EXPR_TOO_DEEP');
  });

  it('hostile text in an input flows through a run as plain text', async () => {
    const t = tempStore();
    try {
      const def = await compile(`
agent Echo { instructions: "x" stub: "ok" }
flow Main {
  input text: string
  output out: string
  step echo: Echo { prompt: "User said: \${input.text}" }
  set output.out = input.text + "!"
}`);
      const hostile = '${constructor.constructor("return process")().exit(1)} __proto__';
      const agents = scriptedAgents(() => 'ok');
      const { summary } = await run(def, 'Main', { text: hostile }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.equal(agents.calls[0].prompt, `User said: ${hostile}`);
      assert.equal(summary.outputs.out, `${hostile}!`);
    } finally {
      t.cleanup();
    }
  });

  it('the runtime source uses no eval, Function constructor or vm', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/runtime/src');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 10);
    for (const f of files) {
      const text = readFileSync(path.join(root, f), 'utf8');
      assert.doesNotMatch(text, /(?<![.\w])eval\s*\(|new\s+Function\s*\(|(?<![.\w])Function\s*\(|from\s+['"](node:)?vm['"]/, f);
    }
  });
});
