import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstUtils, createLangiumParser, type AstNode, type CstNode } from 'langium';
import { generateFlow } from '../../bench/generate-flow.mjs';
import { createBatonParser } from '../../language/src/baton-parser.js';
import { services } from './helpers.js';

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
];

/** Every AST node under `root` with its container links, and the CST below it (offsets, lengths, node kinds), as plain data. */
function shape(root: AstNode): unknown[] {
  const nodes = AstUtils.streamAst(root).toArray();
  const index = new Map(nodes.map((n, i) => [n, i]));
  const cst = (node: CstNode | undefined): unknown =>
    node && {
      offset: node.offset,
      end: node.end,
      hidden: node.hidden,
      range: node.range,
      grammar: node.grammarSource?.$type,
      ast: index.get(node.astNode),
      // every child's container is this node (the builder sets it as it adds the child)
      parented: 'content' in node ? (node.content as CstNode[]).every((child) => child.container === node) : undefined,
      content: 'content' in node ? (node.content as CstNode[]).map(cst) : undefined,
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

  for (const [name, text] of texts) {
    it(`${name}: same AST, container links and CST`, () => {
      const ours = services.Baton.parser.LangiumParser.parse(text);
      const theirs = langium.parse(text);
      assert.equal(ours.parserErrors.length, 0);
      assert.deepEqual(shape(ours.value), shape(theirs.value));
    });
  }

  // syntax errors: error recovery asks the lookahead of decisions a valid text never reaches (re-sync, single-token
  // insertion/deletion), which BatonParser builds on first use (baton-lazy-lookahead.ts) and Langium's parser at start
  for (const [name, text] of texts.slice(0, 4)) {
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
        const ours = parser.parse(input);
        const theirs = langium.parse(input);
        const errors = (r: typeof ours) => r.parserErrors.map((e) => [e.name, e.message, e.token.startOffset]);
        if (theirs.parserErrors.length > 0) failed++;
        assert.deepEqual(errors(ours), errors(theirs), what);
        assert.deepEqual(shape(ours.value), shape(theirs.value), what);
      }
      assert.ok(failed >= broken.length / 2, `${failed} of ${broken.length} texts with errors`);
    });
  }

  it('the container links are those Langium would set again', () => {
    const root = services.Baton.parser.LangiumParser.parse(texts[0][1]).value;
    const before = shape(root);
    AstUtils.linkContentToContainer(root, { deep: true });
    assert.deepEqual(shape(root), before);
  });
});
