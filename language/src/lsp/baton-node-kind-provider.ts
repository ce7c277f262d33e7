import type { AstNode, AstNodeDescription } from 'langium';
import type { NodeKindProvider } from 'langium/lsp';
import { CompletionItemKind, SymbolKind } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';

/** The symbol kind of each Baton declaration type, as the outline and workspace symbols show it. */
const SYMBOL_KINDS: Record<string, SymbolKind> = {
  [ast.AgentDecl.$type]: SymbolKind.Class,
  [ast.FlowDecl.$type]: SymbolKind.Function,
  [ast.TypeDecl.$type]: SymbolKind.Interface,
  [ast.TestDecl.$type]: SymbolKind.Method,
  [ast.Step.$type]: SymbolKind.Method,
  [ast.ApprovalStatement.$type]: SymbolKind.Event,
  [ast.WaitStatement.$type]: SymbolKind.Event,
  [ast.EventDecl.$type]: SymbolKind.Event,
  [ast.LetStatement.$type]: SymbolKind.Variable,
  [ast.VarStatement.$type]: SymbolKind.Variable,
  [ast.LoopVariable.$type]: SymbolKind.Variable,
  [ast.RegionStatement.$type]: SymbolKind.Module,
  [ast.InputDecl.$type]: SymbolKind.Property,
  [ast.OutputDecl.$type]: SymbolKind.Field,
  [ast.FieldDecl.$type]: SymbolKind.Field,
};

/** The completion item kind of each declaration type a name completion offers. */
const COMPLETION_KINDS: Record<string, CompletionItemKind> = {
  [ast.AgentDecl.$type]: CompletionItemKind.Class,
  [ast.FlowDecl.$type]: CompletionItemKind.Function,
  [ast.TypeDecl.$type]: CompletionItemKind.Interface,
  [ast.Step.$type]: CompletionItemKind.Method,
  [ast.ApprovalStatement.$type]: CompletionItemKind.Event,
  [ast.WaitStatement.$type]: CompletionItemKind.Event,
  [ast.LetStatement.$type]: CompletionItemKind.Variable,
  [ast.VarStatement.$type]: CompletionItemKind.Variable,
  [ast.LoopVariable.$type]: CompletionItemKind.Variable,
  [ast.RegionStatement.$type]: CompletionItemKind.Module,
  [ast.InputDecl.$type]: CompletionItemKind.Property,
  [ast.OutputDecl.$type]: CompletionItemKind.Field,
};

/**
 * Symbol and completion kinds of Baton's declarations (Langium's default calls everything a field):
 * agent → class, flow → function, type → interface, test and step → method, approval → event,
 * `let` value, `var` and loop variable → variable, input → property, output → field.
 */
export class BatonNodeKindProvider implements NodeKindProvider {
  getSymbolKind(node: AstNode | AstNodeDescription): SymbolKind {
    return SYMBOL_KINDS[typeOf(node)] ?? SymbolKind.Field;
  }

  getCompletionItemKind(node: AstNode | AstNodeDescription): CompletionItemKind {
    return COMPLETION_KINDS[typeOf(node)] ?? CompletionItemKind.Reference;
  }
}

function typeOf(node: AstNode | AstNodeDescription): string {
  return '$type' in node ? node.$type : node.type;
}
