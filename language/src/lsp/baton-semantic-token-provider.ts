import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';

/**
 * Semantic tokens: what a name is, beyond what the TextMate grammar can tell — agents as classes, flows
 * as functions, steps and approvals as variables (`declaration` where declared), `let` values and loop
 * variables as variables, inputs and outputs as parameters/properties, built-in calls as functions,
 * types as types, durations as numbers.
 */
export class BatonSemanticTokenProvider extends AbstractSemanticTokenProvider {
  protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
    const declaration = [SemanticTokenModifiers.declaration];
    if (ast.isAgentDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: declaration });
    else if (ast.isFlowDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.function, modifier: declaration });
    else if (ast.isTypeDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.type, modifier: declaration });
    else if (ast.isStep(node)) {
      acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
      const target = node.target?.ref;
      acceptor({ node, property: 'target', type: ast.isFlowDecl(target) ? SemanticTokenTypes.function : SemanticTokenTypes.class });
    } else if (ast.isApprovalStatement(node) || ast.isLetStatement(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
    else if (ast.isLoopVariable(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
    else if (ast.isInputDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.parameter, modifier: declaration });
    else if (ast.isOutputDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.property, modifier: declaration });
    else if (ast.isNameRef(node)) acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
    else if (ast.isInputRef(node)) acceptor({ node, property: 'input', type: SemanticTokenTypes.parameter });
    else if (ast.isOutputRef(node)) acceptor({ node, property: 'output', type: SemanticTokenTypes.property });
    else if (ast.isSetStatement(node)) acceptor({ node, property: 'output', type: SemanticTokenTypes.property });
    else if (ast.isFunctionCall(node)) acceptor({ node, property: 'function', type: SemanticTokenTypes.function, modifier: [SemanticTokenModifiers.defaultLibrary] });
    else if (ast.isTypeReference(node)) acceptor({ node, property: 'ref', type: SemanticTokenTypes.type });
    else if (ast.isDurationLiteral(node) || ast.isDurationValue(node)) acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
    else if (ast.isCompensateProperty(node)) acceptor({ node, property: 'agent', type: SemanticTokenTypes.class });
  }
}
