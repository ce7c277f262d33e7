import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_FUNCTIONS, type Expr } from '@baton/protocol';
import { BatonError, evaluate, renderText, resumeRun, type EvalScope } from '../../packages/runtime/src/index.js';
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

  it('a compiled flow evaluates operators, precedence, paths, defaults and every built-in function', async () => {
    const t = tempStore();
    try {
      const def = await compile(EVERYTHING_FLOW);
      const { summary } = await run(def, 'Main', { n: 5, s: '  Hello World  ', list: ['x', 'y', 'z'], rec: { zero: 0, nested: { items: [{ name: 'first' }] }, key: 'v', nul: null } }, {
        store: t.store,
        now: () => new Date('2026-02-03T04:05:06Z'),
      });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.deepEqual(summary.outputs.r, {
        add: 11,
        paren: 12,
        neg: -5,
        div: 2.5,
        mod: 2,
        concat: 'n=5',
        lists: ['x', 'y', 'z', 'w'],
        cmp: [true, false, true, false, true],
        logic: [true, true, false, true],
        shortcut: 'fallback',
        deflt: ['default', 0],
        idx: ['y', 'z', null, 'first', 'v'],
        choice: 'big',
        member: [true, false, true, true],
        dur: 30250,
        tpl: 'none ${not evaluated} ["x","y","z"]',
        fns: {
          len: [3, 15, 4, 0],
          lower: 'abc',
          upper: 'ABC',
          trim: 'Hello World',
          contains: [true, true, false],
          starts: true,
          ends: true,
          join: ['x, y, z', 'x-y-z'],
          split: ['a', 'b', '', 'c'],
          keys: ['b', 'a'],
          values: [1, 2],
          now: '2026-02-03T04:05:06.000Z',
          json: '{"a":[1,"x"]}',
          parse: 2,
          round: [3, 3.14],
          floor: 2,
          ceil: 3,
          abs: 3,
          min: 2,
          max: 8,
          replace: 'a+b+c',
          slice: ['at', ['y', 'z']],
          range: [[0, 1, 2], [2, 3], [], []],
        },
      });
      // every function of the built-in table is exercised, by the flow or (string, number) directly below
      // estimate(): test/runtime/estimate-function.test.ts
      const direct = ['string', 'number', 'call', 'turns', 'estimate'];
      for (const f of BUILTIN_FUNCTIONS) {
        assert.ok(direct.includes(f.name) || EVERYTHING_FLOW.includes(`${f.name}(`), `${f.name}() is covered`);
      }
      const s = scope({ rec: { a: [1, 'x'] } });
      assert.equal(evaluate(call('string', ref('rec')), s), '{"a":[1,"x"]}');
      assert.equal(evaluate(call('string', lit(null)), s), '');
      assert.equal(evaluate(call('number', lit(' 42 ')), s), 42);
      assert.equal(evaluate(call('number', lit(true)), s), 1);
      // a stub agent's tool-loop script (protocol/tools.ts): call() and turns() make the values the runtime reads
      assert.deepEqual(evaluate(call('call', lit('Lookup'), ref('rec')), s), { $call: 'Lookup', arguments: { a: [1, 'x'] } });
      assert.deepEqual(evaluate(call('call', lit('Lookup')), s), { $call: 'Lookup', arguments: {} });
      assert.deepEqual(evaluate(call('turns', { kind: 'list', items: [call('call', lit('Lookup'))] }, lit('done')), s), { $turns: [[{ $call: 'Lookup', arguments: {} }], 'done'] });
      assert.throws(() => evaluate(call('call', lit(3)), s), (e: BatonError) => e.code === 'EXPR_TYPE');
      assert.throws(() => evaluate(call('number', lit('4x')), s), (e: BatonError) => e.code === 'EXPR_TYPE');
    } finally {
      t.cleanup();
    }
  });

  it('unknown functions and wrong argument counts fail with their codes; no JavaScript global is callable', () => {
    const s = scope({ t: 'x' });
    const code = (expr: Expr): string => {
      try {
        evaluate(expr, s);
        return 'no error';
      } catch (error) {
        return (error as BatonError).code;
      }
    };
    for (const fn of ['eval', 'Function', 'require', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'process']) {
      assert.equal(code(call(fn, lit('1'))), 'EXPR_UNKNOWN_FUNCTION', fn);
    }
    assert.equal(code(call('len')), 'EXPR_ARITY');
    assert.equal(code(call('lower', lit('a'), lit('b'))), 'EXPR_ARITY');
    assert.equal(code(call('lower', lit(1))), 'EXPR_TYPE');
  });

  it('an expression error at run time fails the run with its code', async () => {
    const t = tempStore();
    try {
      const def = await compile(`
flow Main {
  input d: number
  output q: number
  set output.q = 10 / input.d
}`);
      const ok = await run(def, 'Main', { d: 4 }, { store: t.store });
      assert.deepEqual(ok.summary.outputs, { q: 2.5 });
      const bad = await run(def, 'Main', { d: 0 }, { store: t.store });
      assert.equal(bad.summary.status, 'failed');
      assert.equal(bad.summary.error?.code, 'EXPR_DIVISION_BY_ZERO');
      assert.equal(bad.events.at(-1)?.type, 'run.failed');
    } finally {
      t.cleanup();
    }
  });

  it('__proto__, constructor and prototype stay out of reach in a run: no pollution, nothing reads them', async () => {
    const t = tempStore();
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    try {
      const def = await compile(`
agent Echo { instructions: "x" output: any stub: { ok: true } }
flow Main {
  input data: any
  input text: string
  output r: any
  output __proto__: any
  output constructor: any
  step e: Echo { prompt: "x" }
  let parsed = parseJson(input.text)
  set output.r = {
    a: input.data.__proto__,
    b: input.data.constructor,
    c: input.data["constructor"]["prototype"],
    d: parsed.__proto__.polluted ?? "none",
    f: input.data.list.constructor.prototype,
    g: keys(parsed),
    h: e.output.__proto__,
    i: e.output.constructor.prototype,
    j: { __proto__: { polluted: true }, constructor: 1, ok: 2 },
    k: input.data["__proto__"]
  }
  set output.__proto__ = { polluted: true }
  set output.constructor = { prototype: { polluted: true } }
}`);
      const hostile = '{"__proto__": {"polluted": true}, "list": [1], "constructor": {"prototype": {"polluted": true}}}';
      const agents = scriptedAgents(() => JSON.parse(hostile));
      const { summary } = await run(def, 'Main', { data: JSON.parse(hostile), text: '{"__proto__": {"polluted": true}, "x": 1}' }, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.deepEqual(summary.outputs.r, { a: null, b: null, c: null, d: 'none', f: null, g: ['x'], h: null, i: null, j: { ok: 2 }, k: null });
      // an output that happens to be named __proto__ is an ordinary value, not the outputs' prototype
      assert.equal(Object.getPrototypeOf(summary.outputs), Object.prototype, "the outputs record's prototype is untouched");
      assert.equal((summary.outputs as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(Object.keys(summary.outputs).sort(), ['__proto__', 'constructor', 'r']);
      assert.deepEqual(Object.getOwnPropertyDescriptor(summary.outputs, '__proto__')?.value, { polluted: true });
      assert.deepEqual(summary.outputs.constructor, {}, 'the prototype key of a record literal is dropped');
      const stored = (await t.store.getRun(summary.runId)).outputs;
      assert.equal(Object.getPrototypeOf(stored), Object.prototype);
      assert.deepEqual(Object.keys(stored).sort(), ['__proto__', 'constructor', 'r']);
    } finally {
      t.cleanup();
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype gained nothing');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  });

  it("an agent's answer inserted into a later prompt is text, never evaluated again", async () => {
    const t = tempStore();
    try {
      const def = await compile(`
agent Talker { instructions: "x" output: { text: string } stub: { text: "hi" } }
agent Echo { instructions: "x" stub: "ok" }
flow Main {
  input secret: string = "TOP-SECRET"
  output said: string
  step talk: Talker { prompt: "Say something" }
  step echo: Echo { prompt: "You said: \${talk.output.text} / literal: \\\${input.secret}" }
  set output.said = "\${talk.output.text}"
}`);
      const injected = '${input.secret} ${1 + 1} ${json(input)} "); process.exit(1); ("';
      const agents = scriptedAgents((r) => (r.agent.name === 'Talker' ? { text: injected } : 'ok'));
      const { summary } = await run(def, 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.equal(agents.calls[1].prompt, `You said: ${injected} / literal: \${input.secret}`);
      assert.ok(!agents.calls[1].prompt.includes('TOP-SECRET'), 'the inserted text was not evaluated');
      assert.equal(summary.outputs.said, injected);
    } finally {
      t.cleanup();
    }
  });

  it('now() is recorded in the run: a resumed run reads the same value, a later call the new time', async () => {
    const t = tempStore();
    try {
      const def = await compile(`
flow Main {
  output first: string
  output second: string
  let started = now()
  approval ok { prompt: "ok?" }
  set output.first = started
  set output.second = now()
}`);
      let clock = new Date('2026-01-01T10:00:00Z');
      const now = (): Date => clock;
      const waiting = await run(def, 'Main', {}, { store: t.store, now });
      assert.equal(waiting.summary.status, 'waiting');
      await t.store.recordDecision(waiting.summary.runId, 'ok', { decision: 'approved' });
      clock = new Date('2026-01-05T12:00:00Z');
      const resumed = await resumeRun(waiting.summary.runId, { store: t.store, now });
      assert.equal(resumed.status, 'succeeded');
      assert.deepEqual(resumed.outputs, { first: '2026-01-01T10:00:00.000Z', second: '2026-01-05T12:00:00.000Z' });
      const recorded = (await t.store.getEvents(waiting.summary.runId)).filter((e) => e.type === 'value.recorded');
      assert.deepEqual(recorded.map((e) => e.type === 'value.recorded' && [e.key, e.value]), [['now#0', '2026-01-01T10:00:00.000Z'], ['now#1', '2026-01-05T12:00:00.000Z']]);
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

/** One flow that uses every operator form and every built-in function the parser accepts. */
const EVERYTHING_FLOW = `
flow Main {
  input n: number
  input s: string
  input list: string[]
  input rec: any
  output r: any
  set output.r = {
    add: input.n + 2 * 3,
    paren: (input.n + 1) * 2,
    neg: -input.n,
    div: input.n / 2,
    mod: input.n % 3,
    concat: "n=" + input.n,
    lists: input.list + ["w"],
    cmp: [input.n >= 5, input.n < 5, "abc" < "abd", input.n != 5, input.list == ["x", "y", "z"]],
    logic: [input.n > 3 && input.n < 10, input.n > 9 || input.n == 5, !(input.n > 3), !input.rec.nul],
    shortcut: input.rec.nul || "fallback",
    deflt: [input.rec.missing ?? "default", input.rec.zero ?? 7],
    idx: [input.list[1], input.list[-1], input.list[10], input.rec.nested.items[0].name, input.rec["key"]],
    choice: input.n > 3 ? "big" : "small",
    member: ["y" in input.list, "q" in input.list, "zero" in input.rec, "ell" in input.s],
    dur: 30s + 250ms,
    tpl: "\${input.rec.missing ?? "none"} \\\${not evaluated} \${input.list}",
    fns: {
      len: [len(input.list), len(input.s), len(input.rec), len(input.rec.nul)],
      lower: lower("AbC"), upper: upper("AbC"), trim: trim(input.s),
      contains: [contains(input.s, "World"), contains(input.list, "z"), contains(input.list, "q")],
      starts: startsWith("baton", "ba"), ends: endsWith("baton", "on"),
      join: [join(input.list), join(input.list, "-")],
      split: split("a,b,,c", ","),
      keys: keys({ b: 1, a: 2 }), values: values({ b: 1, a: 2 }),
      now: now(),
      json: json({ a: [1, "x"] }),
      parse: parseJson("{\\"a\\": [1, 2]}").a[1],
      round: [round(2.5), round(3.14159, 2)], floor: floor(2.7), ceil: ceil(2.1), abs: abs(-3),
      min: min(4, 2, 8), max: max([4, 2, 8]),
      replace: replace("a-b-c", "-", "+"),
      slice: [slice("baton", 1, 3), slice(input.list, -2)],
      range: [range(3), range(2, 4), range(4, 2), range(0)]
    }
  }
}`;
