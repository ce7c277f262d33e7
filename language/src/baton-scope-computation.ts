import type { AstNode, LangiumDocument, LocalSymbols } from 'langium';
import { AstUtils, DefaultScopeComputation, MultiMap, interruptAndCheck, type AstNodeDescription } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { documentNodes } from './baton-ast-walk.js';
import { patchLocalSymbols, symbolsComputed } from './baton-incremental.js';
import * as ast from './generated/ast.js';

/**
 * Local symbols: steps, approvals, regions, named event waits (`wait event "x" as name`), `let` values, `var`s and loop variables are visible in their whole flow
 * (not only in the block that declares them), so a reference to a step inside an `if` from after it
 * links — and the checker can say precisely why that read may be unsafe instead of "unknown name".
 */
export class BatonScopeComputation extends DefaultScopeComputation {
  /** Langium's (every node but the root, in order), without its lazy streams; cancellation checked every 256 nodes. */
  override async collectLocalSymbols(document: LangiumDocument, cancelToken?: CancellationToken): Promise<LocalSymbols> {
    // after a statement-only re-parse: the previous symbols with the replaced elements' swapped (baton-incremental.ts)
    const patched = patchLocalSymbols(document, (node, into) => {
      this.addLocalSymbol(node, document, into);
    });
    if (patched) return patched;
    symbolsComputed(document);
    const symbols = new MultiMap<AstNode, AstNodeDescription>();
    const nodes = documentNodes(document.parseResult.value);
    for (let i = 1; i < nodes.length; i++) {
      if (cancelToken && (i & 255) === 0) await interruptAndCheck(cancelToken);
      // only named nodes are symbols (Langium's NameProvider: a string `name`); most nodes are not
      if (typeof (nodes[i] as { name?: unknown }).name !== 'string') continue;
      this.addLocalSymbol(nodes[i], document, symbols);
    }
    return symbols;
  }

  protected override addLocalSymbol(node: AstNode, document: LangiumDocument, symbols: MultiMap<AstNode, AstNodeDescription>): void {
    if (ast.isStep(node) || ast.isApprovalStatement(node) || ast.isLetStatement(node) || ast.isVarStatement(node) || ast.isLoopVariable(node) || ast.isWaitStatement(node) || ast.isRegionStatement(node)) {
      const flow = AstUtils.getContainerOfType(node, ast.isFlowDecl);
      const name = this.nameProvider.getName(node);
      if (flow && name) symbols.add(flow, this.descriptions.createDescription(node, name, document));
      return;
    }
    super.addLocalSymbol(node, document, symbols);
  }
}
