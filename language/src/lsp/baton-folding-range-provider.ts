import type { CstNode, LangiumDocument } from 'langium';
import { AstUtils, CstUtils, GrammarAST, isLeafCstNode } from 'langium';
import type { FoldingRangeProvider } from 'langium/lsp';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';

const OPENERS: Record<string, string> = { '{': '}', '[': ']' };

/**
 * Folding ranges of a `.flow` file (lines 0-based):
 * - every `{ … }` and `[ … ]` block that spans lines (agents, flows, steps, `if`, `parallel`, records,
 *   lists, …): from the line of the opening bracket to the line before the closing one, so the closing
 *   bracket stays visible;
 * - a multi-line `"""…"""` string (with or without `${…}`): from its first line to the line before its last;
 * - comments (kind `comment`): a `/* … *\/` block over several lines, and a run of `//` lines on
 *   consecutive lines, each from its first line to its last;
 * - a run of two or more `import` lines (kind `imports`).
 * A range that would hide no line is left out, and so is a second range over the same lines.
 */
export class BatonFoldingRangeProvider implements FoldingRangeProvider {
  getFoldingRanges(document: LangiumDocument): FoldingRange[] {
    const root = document.parseResult.value as ast.Document;
    const cst = root.$cstNode;
    if (!cst) return [];
    const ranges: FoldingRange[] = [];
    const seen = new Set<string>();
    const push = (startLine: number, endLine: number, kind?: string): void => {
      const key = `${startLine}:${endLine}`;
      if (endLine <= startLine || seen.has(key)) return;
      seen.add(key);
      ranges.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
    };
    // brackets: pair each opener with the next closer of the same AST node (nested blocks are other nodes)
    for (const node of AstUtils.streamAst(root)) {
      const open: CstNode[] = [];
      for (const leaf of ownLeaves(node.$cstNode)) {
        const keyword = GrammarAST.isKeyword(leaf.grammarSource) ? leaf.grammarSource.value : undefined;
        if (!keyword) continue;
        if (OPENERS[keyword]) open.push(leaf);
        else if (keyword === '}' || keyword === ']') {
          const opener = open.pop();
          if (opener && OPENERS[opener.text] === keyword) push(opener.range.start.line, leaf.range.start.line - 1);
        }
      }
    }
    // multi-line strings
    for (const node of AstUtils.streamAst(root)) {
      if ((ast.isStringLiteral(node) || ast.isTemplateString(node)) && node.$cstNode?.text.startsWith('"""')) {
        push(node.$cstNode.range.start.line, node.$cstNode.range.end.line - 1);
      }
    }
    // comments: block comments, and runs of line comments
    let run: { start: number; end: number } | undefined;
    const endRun = (): void => {
      if (run) push(run.start, run.end, FoldingRangeKind.Comment);
      run = undefined;
    };
    for (const leaf of CstUtils.flattenCst(cst)) {
      if (!leaf.hidden) {
        endRun();
        continue;
      }
      const name = leaf.tokenType.name;
      if (name === 'SL_COMMENT') {
        const lineNumber = leaf.range.start.line;
        if (run && run.end === lineNumber - 1) run.end = lineNumber;
        else {
          endRun();
          run = { start: lineNumber, end: lineNumber };
        }
      } else if (name === 'ML_COMMENT') {
        endRun();
        push(leaf.range.start.line, leaf.range.end.line, FoldingRangeKind.Comment);
      }
    }
    endRun();
    // imports
    const imports = root.imports.filter((i) => i.$cstNode);
    if (imports.length >= 2) push(imports[0].$cstNode!.range.start.line, imports[imports.length - 1].$cstNode!.range.end.line, FoldingRangeKind.Imports);
    return ranges.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  }
}

/** The leaf CST nodes that belong to `cst`'s own AST node, not to a nested one, in order. */
function* ownLeaves(cst: CstNode | undefined): Generator<CstNode> {
  if (!cst) return;
  const owner = cst.astNode;
  const iterator = CstUtils.streamCst(cst).iterator();
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const node = next.value;
    if (node !== cst && node.astNode !== owner) {
      iterator.prune();
      continue;
    }
    if (isLeafCstNode(node)) yield node;
  }
}
