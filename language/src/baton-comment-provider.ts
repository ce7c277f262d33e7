import type { AstNode, CommentProvider, GrammarConfig } from 'langium';
import { CstUtils, isAstNodeWithComment, isRootCstNode } from 'langium';
import type { BatonServices } from './baton-module.js';
import { previousCstNode } from './baton-doc-comments.js';

/**
 * The comment right before a node (Langium's `DefaultCommentProvider`, same result), finding the node
 * among its CST siblings by binary search instead of `indexOf`: completion documents every candidate, so
 * offering the 5,000 steps of a long flow cost O(N²) sibling scans (~20 ms a request) with the default.
 */
export class BatonCommentProvider implements CommentProvider {
  private readonly grammarConfig: () => GrammarConfig;

  constructor(services: BatonServices) {
    this.grammarConfig = () => services.parser.GrammarConfig;
  }

  getComment(node: AstNode): string | undefined {
    if (isAstNodeWithComment(node)) return node.$comment;
    const cst = node.$cstNode;
    if (!cst) return undefined;
    const names = this.grammarConfig().multilineCommentRules;
    const previous = previousCstNode(cst);
    if (previous && CstUtils.isCommentNode(previous, names)) return previous.text;
    // the root: Langium's own search among the hidden nodes before its first token
    return isRootCstNode(cst) ? CstUtils.findCommentNode(cst, names)?.text : undefined;
  }
}
