import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstUtils, CstUtils, GrammarAST, GrammarUtils, createLangiumParser, type AstNode, type CompositeCstNode, type CstNode } from 'langium';
import { generateFlow } from '../../bench/generate-flow.mjs';
import { createBatonParser, type BatonParser } from '../../language/src/baton-parser.js';
import { services } from './helpers.js';
import { seededRandom } from '../support/seeded-random.js';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const texts: [string, string][] = [
  ...readdirSync(examples)
    .filter((f) => f.endsWith('.flow'))
    .map((f): [string, string] => [f, readFileSync(path.join(examples, f), 'utf8')]),
  ['generated 120 steps', generateFlow(120)],
  // comments (hidden CST nodes) first in a file, before a declaration, before a statement, inside an expression and
  // a step's body, and last
  [
    'comments everywhere',
    '// first\n/* a */ agent A { stub: "a" } // after\nflow F {\n  // before a step\n  step s: A { /* in */ prompt: "p" }\n  /** doc */\n  step t: A { prompt: "${s.output}" when: 1 + /* mid */ 2 > 0 }\n  // last in the flow\n}\n// end\n',
  ],
  // every shape of operand the expression shortcut takes (baton-expression-shortcut.ts) and the ones next to them it
  // must leave to the precedence levels: operators after an operand, calls, indexes, prefixes, nested templates
  ['expressions', expressionsFlow()],
];

/** A flow whose `let` values are expressions of every shape the expression shortcut takes or leaves. */
function expressionsFlow(): string {
  const values = [
    'input.topic', 'output.result', 's.output', 's.output.text', 's.output.in', 's.output.status.flow', 'status', '42',
    '2.5', '30s', '"plain"', '"""triple"""', 'true', 'false', 'null', '-1', '!true', '- -s.output.x', '!!s.output.ok',
    '"a ${input.topic} b ${s.output.text} c"', '"""t ${s.output} u"""', '"${"${"${s.output}"}"}"', '"${"${"${"${s.output}"}"}"}"',
    '"${s.output + 1}"', '"${f(s.output)}"', 's.output.x + 1', 's.output.x in s.output.list', 's.output ?? "d"',
    's.output.ok ? 1 : 2', 's.output.ok || false', 's.output.ok && true', 's.output.n == 1', 's.output.n != 1',
    's.output.n < 1', 's.output.n <= 1', 's.output.n > 1', 's.output.n >= 1', '1 - 2', '2 * 3', '4 / 2', '5 % 2',
    's.output["k"]', 's.output.list[0].x', 'string(s.output.n)', 'number("1")', 'len(s.output.list)', '(s.output)',
    '[s.output, 1]', '{ a: s.output.b, "c": 1 }', '- (1 + 2)', 'budget', 'agent.x', 's.output.x - -1',
    '"${input.topic}" + "x"', 'input.status', 'output.status', '- - - - - -1',
  ];
  const lets = values.map((value, i) => `  let v${i} = ${value}`).join('\n');
  return `agent A { stub: "a" }\nflow F {\n  input topic: string = "x"\n  output result: string\n  step s: A { prompt: "p \${input.topic}" when: s.output.ok }\n${lets}\n}\n`;
}

/**
 * The children of composite `node` as the Baton CST builder keeps them: where its only child is the composite of an
 * action or of a call of a parser rule that makes AST nodes, with no AST node of its own (Langium's parser clears it in
 * a pass-through), that child's children (recursively).
 */
function children(node: CstNode): CstNode[] {
  let content = (node as CompositeCstNode).content;
  for (;;) {
    const only = content.length === 1 ? content[0] : undefined;
    if (!only || !('content' in only) || (only as unknown as { _astNode?: unknown })._astNode !== undefined) return content;
    const source = only.grammarSource;
    const rule = GrammarAST.isRuleCall(source) ? source.rule.ref : undefined;
    if (!GrammarAST.isAction(source) && !(GrammarAST.isParserRule(rule) && !GrammarUtils.isDataTypeRule(rule))) return content;
    content = (only as CompositeCstNode).content;
  }
}

/** Every element of the Baton grammar, numbered in tree order. */
const grammarElements = new Map<unknown, number>(AstUtils.streamAst(services.Baton.Grammar).toArray().map((element, i) => [element, i]));

/**
 * Every AST node under `root` with its container links, and the CST below it (offsets, lengths, node kinds), as plain
 * data. With `collapse`, pass-through levels are read through ({@link children}): how Langium's tree compares to ours.
 */
function shape(root: AstNode, collapse = false): unknown[] {
  const nodes = AstUtils.streamAst(root).toArray();
  const index = new Map(nodes.map((n, i) => [n, i]));
  const cst = (node: CstNode | undefined): unknown =>
    node && {
      offset: node.offset,
      end: node.end,
      hidden: node.hidden,
      range: node.range,
      // the grammar element itself (both parsers read the same grammar), by its place in the grammar
      grammar: node.grammarSource && grammarElements.get(node.grammarSource),
      ast: index.get(node.astNode),
      // every child's container is this node (the builder sets it as it adds the child)
      // (Langium's: read through the levels collapsed, so taken as set)
      parented: 'content' in node ? collapse || (node.content as CstNode[]).every((child) => child.container === node) : undefined,
      content: 'content' in node ? (collapse ? children(node) : (node.content as CstNode[])).map(cst) : undefined,
    };
  return nodes.map((n) => {
    const own = Object.fromEntries(Object.entries(n).filter(([k, v]) => !k.startsWith('$') && (typeof v !== 'object' || v === null)));
    const links = n as AstNode & { $containerIndex?: number };
    return { type: n.$type, own, container: links.$container && index.get(links.$container), property: links.$containerProperty, at: links.$containerIndex, cst: n.$container ? undefined : cst(n.$cstNode) };
  });
}

describe('parser: the Baton parser gives what the Langium parser gives', () => {
  // BatonParser.parse is a copy of Langium 4.2's with a cheaper container linking and pass-through copy (issue 15):
  // the AST, its container links and the CST must be what Langium's own parser makes of the same grammar
  const langium = createLangiumParser(services.Baton);
  /**
   * Parses `text` with `parser` and with Langium's own and asserts the same syntax errors, AST and CST (`what` names the
   * case); returns whether Langium's parse had errors.
   */
  const assertSameParse = (parser: ReturnType<typeof createBatonParser>, text: string, what: string): boolean => {
    const ours = parser.parse(text);
    const theirs = langium.parse(text);
    const errors = (r: typeof ours) => r.parserErrors.map((e) => [e.name, e.message, e.token.startOffset]);
    assert.deepEqual(errors(ours), errors(theirs), what);
    assert.deepEqual(shape(ours.value), shape(theirs.value, true), what);
    return theirs.parserErrors.length > 0;
  };

  for (const [name, text] of texts) {
    it(`${name}: same AST, container links and CST`, () => {
      const ours = services.Baton.parser.LangiumParser.parse(text);
      const theirs = langium.parse(text);
      assert.equal(ours.parserErrors.length, 0);
      assert.deepEqual(shape(ours.value), shape(theirs.value, true));
    });
  }

  // syntax errors: error recovery asks the lookahead of decisions a valid text never reaches (re-sync, single-token
  // insertion/deletion), which BatonParser builds on first use (baton-lazy-lookahead.ts) and Langium's parser at start
  for (const [name, text] of [...texts.slice(0, 4), texts[texts.length - 1]]) {
    const broken: [string, string][] = [0.2, 0.45, 0.7, 0.9].flatMap((at): [string, string][] => {
      const cut = Math.floor(text.length * at);
      return [
        [`cut at ${cut}`, text.slice(0, cut)],
        [`'.' at ${cut}`, `${text.slice(0, cut)}.${text.slice(cut)}`],
        [`'} {' at ${cut}`, `${text.slice(0, cut)} } { ${text.slice(cut)}`],
      ];
    });
    it(`${name} with syntax errors: same AST, CST and errors`, () => {
      let failed = 0;
      const parser = createBatonParser(services.Baton); // fresh: no lookahead function built yet
      for (const [what, input] of broken) {
        if (assertSameParse(parser, input, what)) failed++;
      }
      assert.ok(failed >= broken.length / 2, `${failed} of ${broken.length} texts with errors`);
    });
  }

  // hostile input for the expression shortcut: seeded random token soup after `let v =` — valid operands, operators
  // after them, unbalanced brackets and templates, keywords — parses exactly as Langium's own parser parses it
  it('random expressions, valid and broken: same AST, CST and errors', () => {
    const pieces = ['s', 'x', 'budget', 'agent', 'run', '.', 'output', 'input', 'status', 'in', 'text', '+', '-', '!', '*',
      '??', '?', ':', '==', '<', '(', ')', '[', ']', '{', '}', ',', '"a ${', '} b ${', '} c"', '"""t ${', '} u"""', '42',
      '30s', '"str"', 'true', 'null', 'len', 'string', 'step', 'let'];
    const random = seededRandom(20261206);
    const parser = createBatonParser(services.Baton) as BatonParser;
    // count the operands the shortcut took (its scan's yes)
    const shortcut = parser.shortcut!;
    const scan = shortcut.scan.bind(shortcut);
    let taken = 0;
    shortcut.scan = (...args) => {
      const operand = scan(...args);
      if (operand) taken++;
      return operand;
    };
    let broken = 0;
    for (let file = 0; file < 60; file++) {
      const lets: string[] = [];
      for (let i = 0; i < 16; i++) {
        const length = 1 + Math.floor(random() * 7);
        const tokens = Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]);
        // every other value starts like an operand the shortcut takes, so the soup is also what follows one
        if (i % 2 === 0) tokens.unshift(['s.output', 'input.x', '"a ${s.output.text} b"', '-s', 'status'][i % 5]);
        lets.push(`  let v${i} = ${tokens.join(' ')}`);
      }
      const text = `agent A { stub: "a" }\nflow F {\n  input x: string = "x"\n  step s: A { prompt: "p" }\n${lets.join('\n')}\n}\n`;
      if (assertSameParse(parser, text, text)) broken++;
    }
    assert.ok(broken >= 50, `${broken} of 60 texts with syntax errors`);
    assert.ok(taken >= 250, `the shortcut taken ${taken} times`);
  });

  // the pass-through levels the Baton CST builder drops are transparent to Langium's CST queries: the AST node of every
  // leaf (in shape above), the assignment each leaf belongs to, the nodes of every property of every AST node
  it('without the pass-through levels, CST queries answer as on Langium\'s tree', () => {
    const text = texts.find(([name]) => name === 'dispatcher.flow')![1] + generateFlow(30).replace(/^flow \w+/m, 'flow Second');
    const ours = services.Baton.parser.LangiumParser.parse(text).value;
    const theirs = langium.parse(text).value;
    const queries = (root: AstNode) => ({
      leaves: CstUtils.streamCst(root.$cstNode!)
        .filter((node) => !('content' in node))
        .map((leaf) => `${leaf.offset} ${GrammarUtils.findAssignment(leaf)?.feature} ${leaf.astNode.$type}`)
        .toArray(),
      properties: AstUtils.streamAst(root)
        .flatMap((node) => Object.keys(node).filter((key) => !key.startsWith('$')).map((key) => `${node.$type}.${key}: ${GrammarUtils.findNodesForProperty(node.$cstNode, key).map((n) => `${n.offset}-${n.end}`).join(',')}`))
        .toArray(),
    });
    const composites = (root: AstNode) => CstUtils.streamCst(root.$cstNode!).filter((node) => 'content' in node).count();
    const expected = queries(theirs);
    assert.ok(expected.leaves.length > 2000 && expected.properties.length > 2000, `${expected.leaves.length} leaves, ${expected.properties.length} properties`);
    assert.deepEqual(queries(ours), expected);
    // and they are gone: fewer than half the composite nodes
    assert.ok(composites(ours) < composites(theirs) / 2, `${composites(ours)} of ${composites(theirs)} composites`);
  });

  it('the container links are those Langium would set again', () => {
    const root = services.Baton.parser.LangiumParser.parse(texts[0][1]).value;
    const before = shape(root);
    AstUtils.linkContentToContainer(root, { deep: true });
    assert.deepEqual(shape(root), before);
  });
});
