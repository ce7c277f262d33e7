import type { AstNode, LangiumDocument } from 'langium';
import { AbstractSemanticTokenProvider, SemanticTokensBuilder, type SemanticTokenAcceptor } from 'langium/lsp';
import { CancellationToken, SemanticTokenModifiers, SemanticTokenTypes, type Range, type SemanticTokens, type SemanticTokensDeltaParams, type SemanticTokensParams, type SemanticTokensRangeParams } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';

/**
 * Semantic tokens: what a name is, beyond what the TextMate grammar can tell — agents as classes, flows
 * as functions, steps and approvals as variables (`declaration` where declared), `let` values and loop
 * variables as variables, inputs and outputs as parameters/properties, built-in calls as functions,
 * types as types, durations as numbers; a tool entry's agent or flow likewise, an MCP tool's server as a namespace
 * and its tool as a function.
 *
 * Each request has its own state. Langium's provider keeps the request's document, range and token builder
 * on the provider (`currentDocument`, `currentRange`, `currentTokensBuilder`, one builder per document) and
 * yields to the event loop while it walks the tree, so two requests in flight (a client asking for the full
 * tokens and a range, as Neovim does while typing) wrote into each other's builders: two full requests on a
 * 5,000-step file answered ~30,000 tokens instead of 15,004, a full request overlapping a range request a
 * few hundred, and the editor reported "Invalid Semantic Tokens Data". Here every request runs Langium's walk
 * and token encoding on its own view of the provider (`Object.create(this)`, holding that request's
 * document, range and a fresh builder), so nothing is shared between requests. Delta requests are answered
 * with full tokens (LSP allows it; delta is not advertised).
 */
export class BatonSemanticTokenProvider extends AbstractSemanticTokenProvider {
  override semanticHighlight(document: LangiumDocument, _params: SemanticTokensParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
    return this.highlightRequest(document, undefined, cancelToken);
  }

  override semanticHighlightRange(document: LangiumDocument, params: SemanticTokensRangeParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
    return this.highlightRequest(document, params.range, cancelToken);
  }

  override semanticHighlightDelta(document: LangiumDocument, _params: SemanticTokensDeltaParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
    return this.highlightRequest(document, undefined, cancelToken);
  }

  /** One request: the tokens of `document` (within `range` when given), computed on request-local state. */
  private async highlightRequest(document: LangiumDocument, range: Range | undefined, cancelToken: CancellationToken): Promise<SemanticTokens> {
    const builder = new SemanticTokensBuilder();
    const request = Object.create(this) as this;
    request.currentDocument = document;
    request.currentRange = range;
    request.currentTokensBuilder = builder;
    await request.computeHighlighting(document, request.createAcceptor(), cancelToken);
    return builder.build();
  }

  protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
    const declaration = [SemanticTokenModifiers.declaration];
    if (ast.isAgentDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: declaration });
    else if (ast.isFlowDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.function, modifier: declaration });
    else if (ast.isTypeDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.type, modifier: declaration });
    else if (ast.isStep(node)) {
      acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
      const target = node.target?.ref;
      acceptor({ node, property: 'target', type: ast.isFlowDecl(target) ? SemanticTokenTypes.function : SemanticTokenTypes.class });
    } else if (ast.isRegionStatement(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.namespace, modifier: declaration });
    else if (ast.isCancelStatement(node) || ast.isCompleteStatement(node)) {
      if (node.target) acceptor({ node, property: 'target', type: ast.isStep(node.target.ref) ? SemanticTokenTypes.variable : SemanticTokenTypes.namespace });
    } else if (ast.isApprovalStatement(node) || ast.isLetStatement(node) || ast.isVarStatement(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
    else if (ast.isLoopVariable(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: declaration });
    else if (ast.isInputDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.parameter, modifier: declaration });
    else if (ast.isOutputDecl(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.property, modifier: declaration });
    else if (ast.isNameRef(node)) acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
    else if (ast.isInputRef(node)) acceptor({ node, property: 'input', type: SemanticTokenTypes.parameter });
    else if (ast.isOutputRef(node)) acceptor({ node, property: 'output', type: SemanticTokenTypes.property });
    else if (ast.isSetStatement(node)) acceptor(node.output ? { node, property: 'output', type: SemanticTokenTypes.property } : { node, property: 'variable', type: SemanticTokenTypes.variable });
    else if (ast.isFunctionCall(node)) acceptor({ node, property: 'function', type: SemanticTokenTypes.function, modifier: [SemanticTokenModifiers.defaultLibrary] });
    else if (ast.isTypeReference(node)) acceptor({ node, property: 'ref', type: SemanticTokenTypes.type });
    else if (ast.isDurationLiteral(node) || ast.isDurationValue(node)) acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
    else if (ast.isCompensateProperty(node)) acceptor({ node, property: 'agent', type: SemanticTokenTypes.class });
    else if (ast.isToolEntry(node)) {
      // a tool: an agent (class) or flow (function), or `mcp.<server>.<tool>` (a namespace and a function)
      if (node.isMcp) {
        if (node.server) acceptor({ node, property: 'server', type: SemanticTokenTypes.namespace });
        if (node.tool) acceptor({ node, property: 'tool', type: SemanticTokenTypes.function });
      } else if (node.target) acceptor({ node, property: 'target', type: ast.isFlowDecl(node.target.ref) ? SemanticTokenTypes.function : SemanticTokenTypes.class });
    }
  }
}

