import type { AstNode, LangiumDocument } from 'langium';
import { AstUtils, DefaultScopeComputation, type MultiMap, type AstNodeDescription } from 'langium';
import * as ast from './generated/ast.js';

/**
 * Local symbols: steps, approvals, `let` values and loop variables are visible in their whole flow
 * (not only in the block that declares them), so a reference to a step inside an `if` from after it
 * links — and the checker can say precisely why that read may be unsafe instead of "unknown name".
 */
export class BatonScopeComputation extends DefaultScopeComputation {
  protected override addLocalSymbol(node: AstNode, document: LangiumDocument, symbols: MultiMap<AstNode, AstNodeDescription>): void {
    if (ast.isStep(node) || ast.isApprovalStatement(node) || ast.isLetStatement(node) || ast.isLoopVariable(node)) {
      const flow = AstUtils.getContainerOfType(node, ast.isFlowDecl);
      const name = this.nameProvider.getName(node);
      if (flow && name) symbols.add(flow, this.descriptions.createDescription(node, name, document));
      return;
    }
    super.addLocalSymbol(node, document, symbols);
  }
}
