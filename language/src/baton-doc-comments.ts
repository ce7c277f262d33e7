import type { AstNode, CstNode } from 'langium';
import { CstUtils, isRootCstNode } from 'langium';

/**
 * Doc comments: the `/** … *\/` comment right before a declaration or statement. Shared by the IR
 * (`doc` of agents, flows and statements), hover and the quick fixes that insert before a declaration.
 */

/** The `/** … *\/` comment node right before `node`, if any. */
export function docCommentNode(node: AstNode): CstNode | undefined {
  const cst = node.$cstNode;
  if (!cst) return undefined;
  const comment = isRootCstNode(cst) ? CstUtils.findCommentNode(cst, ['ML_COMMENT']) : previousCstNode(cst);
  return comment && CstUtils.isCommentNode(comment, ['ML_COMMENT']) && comment.text.startsWith('/**') ? comment : undefined;
}

/** The text of `node`'s doc comment, without its delimiters and leading `*`. */
export function docComment(node: AstNode): string | undefined {
  const comment = docCommentNode(node);
  return comment ? cleanDoc(comment.text) : undefined;
}

/**
 * The CST node right before `node` (a hidden one included), climbing to containers at the start of one —
 * Langium's `getPreviousNode`, but finding `node` among its siblings by binary search on offsets instead
 * of `indexOf`, so documenting every statement of a flow of N statements is O(N log N), not O(N²).
 */
export function previousCstNode(node: CstNode): CstNode | undefined {
  let current = node;
  while (current.container) {
    const siblings = current.container.content;
    const index = indexOfSibling(siblings, current);
    if (index > 0) return siblings[index - 1];
    current = current.container;
  }
  return undefined;
}

function indexOfSibling(siblings: readonly CstNode[], node: CstNode): number {
  let lo = 0;
  let hi = siblings.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (siblings[mid].offset < node.offset) lo = mid + 1;
    else hi = mid - 1;
  }
  // lo is the first sibling at node.offset; zero-length siblings may share it
  for (let i = lo; i < siblings.length && siblings[i].offset === node.offset; i++) if (siblings[i] === node) return i;
  return siblings.indexOf(node);
}

function cleanDoc(text: string): string {
  return text
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

