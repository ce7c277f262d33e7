import assert from 'node:assert/strict';
import { CompositeCstNodeImpl, CstUtils, type CstNode } from 'langium';
import { checkText } from './helpers.js';

/** How many times `read` makes a composite CST node look for its first or last non-hidden child. */
function childLookups(read: () => void): number {
  const prototype = CompositeCstNodeImpl.prototype;
  const first = Object.getOwnPropertyDescriptor(prototype, 'firstNonHiddenNode')!;
  const last = Object.getOwnPropertyDescriptor(prototype, 'lastNonHiddenNode')!;
  let count = 0;
  const counted = (descriptor: PropertyDescriptor): PropertyDescriptor => ({
    ...descriptor,
    get(this: CompositeCstNodeImpl) {
      count++;
      return descriptor.get!.call(this);
    },
  });
  Object.defineProperty(prototype, 'firstNonHiddenNode', counted(first));
  Object.defineProperty(prototype, 'lastNonHiddenNode', counted(last));
  try {
    read();
  } finally {
    Object.defineProperty(prototype, 'firstNonHiddenNode', first);
    Object.defineProperty(prototype, 'lastNonHiddenNode', last);
  }
  return count;
}

/** Every composite node's offset and end as Langium computes them from the leaves (no cache). */
function fromLeaves(node: CstNode): { offset: number; end: number } {
  if (!('content' in node)) return { offset: node.offset, end: node.end };
  const content = (node as CompositeCstNodeImpl).content;
  const first = content.find((c) => !c.hidden) ?? content[0];
  const last = [...content].reverse().find((c) => !c.hidden) ?? content[content.length - 1];
  return { offset: first ? fromLeaves(first).offset : 0, end: last ? fromLeaves(last).end : 0 };
}

describe('CST extents: a composite node knows its offset and end', () => {
  const TERMS = 2000; // the most operators the parser reads in one expression (MAX_OPERATORS)
  const text = `flow S {\n  output x: number\n  set output.x = 1${' + 1'.repeat(TERMS)}\n}\n`;

  it('finds the leaf at an offset inside a 2,000-term sum looking at each level a few times, not down the whole left spine at each', async () => {
    // a left-deep tree: each `+` nests the sum so far one level deeper, and a node's offset was its first
    // child's, recursively — O(depth) per read and O(depth²) per search (completion 2.9 s, formatting 1.6 s)
    const { document } = await checkText(text);
    const root = document.parseResult.value.$cstNode!;
    const offset = text.indexOf('1 + 1') + 4 * (TERMS / 2);
    let leaf: CstNode | undefined;
    const lookups = childLookups(() => (leaf = CstUtils.findLeafNodeAtOffset(root, offset)));
    assert.equal(leaf?.offset, offset, 'the leaf found is the term at that offset');
    assert.ok(lookups <= 10 * TERMS, `${lookups} child lookups for a tree ${TERMS} levels deep`);
  });

  it('gives every composite node the offset and end computed from its leaves', async () => {
    const { document } = await checkText(`/** doc */\nagent A { stub: "a" } // trailing\nflow F {\n  // a comment\n  step a: A { prompt: "\${1 + 2 * 3}" }\n  if a.status == "succeeded" { wait 1s }\n}\n`);
    const stack: CstNode[] = [document.parseResult.value.$cstNode!.root];
    let composites = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (!('content' in node)) continue;
      composites++;
      assert.deepEqual({ offset: node.offset, end: node.end }, fromLeaves(node), `${node.grammarSource?.$type} at ${node.offset}`);
      stack.push(...(node as CompositeCstNodeImpl).content);
    }
    assert.ok(composites > 20);
  });
});
