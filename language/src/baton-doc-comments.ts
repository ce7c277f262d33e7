import type { AstNode, CstNode } from 'langium';
import { CstUtils, isRootCstNode } from 'langium';

/**
 * Doc comments: the `/** … *\/` comment right before a declaration or statement. Shared by the IR
 * (`doc` of agents, flows and statements), hover and the quick fixes that insert before a declaration.
 */

/**
 * The `/** … *\/` comment node right before `node`, if any: attached to it, i.e. ending on the line before
 * `node` starts (or on its line). A comment with a blank line after it — a file's header comment above
 * its first declaration — documents the file, not the declaration.
 */
export function docCommentNode(node: AstNode): CstNode | undefined {
  const cst = node.$cstNode;
  if (!cst) return undefined;
  const comment = isRootCstNode(cst) ? CstUtils.findCommentNode(cst, ['ML_COMMENT']) : previousCstNode(cst);
  if (!comment || !CstUtils.isCommentNode(comment, ['ML_COMMENT']) || !comment.text.startsWith('/**')) return undefined;
  return isRootCstNode(cst) || comment.range.end.line >= cst.range.start.line - 1 ? comment : undefined;
}

/** The text of `node`'s doc comment, without its delimiters and leading `*`. */
export function docComment(node: AstNode): string | undefined {
  const comment = docCommentNode(node);
  return comment ? cleanDoc(comment.text) : undefined;
}

/**
 * The CST node right before `node` (a hidden one included), climbing to containers at the start of one —
 * Langium's `getPreviousNode`, but finding `node` among its siblings in an index built once per CST
 * container instead of by `indexOf`, so documenting every statement of a flow of N statements (as
 * completion does for its candidates) is O(N), not O(N²).
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

/**
 * Per CST container: each child's index among its siblings, built on first use. A document update may
 * replace one child in place (BatonDocumentFactory), so an answer is checked and the index rebuilt when stale.
 */
const siblingIndexes = new WeakMap<readonly CstNode[], Map<CstNode, number>>();

function indexOfSibling(siblings: readonly CstNode[], node: CstNode): number {
  const known = siblingIndexes.get(siblings)?.get(node);
  if (known !== undefined && siblings[known] === node) return known;
  const indexes = new Map<CstNode, number>();
  for (let i = siblings.length - 1; i >= 0; i--) indexes.set(siblings[i], i); // the first index of each, as indexOf
  siblingIndexes.set(siblings, indexes);
  return indexes.get(node) ?? -1;
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

