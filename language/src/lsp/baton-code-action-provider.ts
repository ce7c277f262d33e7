import type { AstNode, LangiumDocument, MaybePromise } from 'langium';
import { AstUtils, CstUtils } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic } from 'vscode-languageserver';
import { IssueCodes } from '../baton-issue-codes.js';
import { docCommentNode } from '../baton-doc-comments.js';
import { BatonTypeSystem, broadKind } from '../baton-type-system.js';
import * as ast from '../generated/ast.js';

/**
 * Quick fixes, keyed on the checker's codes:
 * - "did you mean": replace an unknown name with the closest known one (agents, flows, types, names,
 *   functions);
 * - create a missing agent, with a `stub` built from its use (the fields the flow reads from the step's
 *   output), before the flow that calls it;
 * - add `?? <default>` after a read of a possibly skipped step (the default fits the value's type).
 */
export class BatonCodeActionProvider implements CodeActionProvider {
  getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction>> {
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      const replacement = replacementOf(diagnostic);
      if (replacement) actions.push(this.replace(document, diagnostic, replacement));
      if (diagnostic.code === IssueCodes.UnknownAgent) {
        const create = this.createAgent(document, diagnostic);
        if (create) actions.push(create);
      }
      if (diagnostic.code === IssueCodes.StepMaybeSkipped) {
        const fix = this.addDefault(document, diagnostic);
        if (fix) actions.push(fix);
      }
    }
    return actions;
  }

  private replace(document: LangiumDocument, diagnostic: Diagnostic, name: string): CodeAction {
    return {
      title: `Change to \`${name}\``,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: true,
      edit: { changes: { [document.uri.toString()]: [{ range: diagnostic.range, newText: name }] } },
    };
  }

  private createAgent(document: LangiumDocument, diagnostic: Diagnostic): CodeAction | undefined {
    const node = nodeAt(document, diagnostic);
    const step = node && AstUtils.getContainerOfType(node, ast.isStep);
    const flow = step && AstUtils.getContainerOfType(step, ast.isFlowDecl);
    const name = document.textDocument.getText(diagnostic.range);
    if (!step || !flow?.$cstNode || !/^[A-Za-z_]\w*$/.test(name)) return undefined;
    const fields = new Set<string>();
    for (const n of AstUtils.streamAst(flow)) {
      if (ast.isMemberAccess(n) && n.member && ast.isMemberAccess(n.receiver) && n.receiver.member === 'output' && ast.isNameRef(n.receiver.receiver) && n.receiver.receiver.ref?.$refText === step.name) {
        fields.add(n.member);
      }
    }
    const stub = fields.size > 0 ? `{ ${[...fields].map((f) => `${f}: "${f}"`).join(', ')} }` : `"${name} result"`;
    const text = `agent ${name} {\n  instructions: "Describe what ${name} does."\n  stub: ${stub}\n}\n\n`;
    const at = document.textDocument.positionAt(flowStart(flow));
    return {
      title: `Create agent \`${name}\` with a stub`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: { changes: { [document.uri.toString()]: [{ range: { start: at, end: at }, newText: text }] } },
    };
  }

  private addDefault(document: LangiumDocument, diagnostic: Diagnostic): CodeAction | undefined {
    let expr: AstNode | undefined = nodeAt(document, diagnostic);
    if (!ast.isNameRef(expr)) return undefined;
    // the whole path read from the step: `a.output.systems[0].name`
    while (expr.$container && (ast.isMemberAccess(expr.$container) || ast.isIndexAccess(expr.$container)) && expr.$container.receiver === expr) expr = expr.$container;
    if (!expr.$cstNode) return undefined;
    const fallback = defaultFor(broadKind(new BatonTypeSystem().typeOf(expr as ast.Expression)));
    const at = document.textDocument.positionAt(expr.$cstNode.end);
    return {
      title: `Add \`?? ${fallback}\` for when the step did not run`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: true,
      edit: { changes: { [document.uri.toString()]: [{ range: { start: at, end: at }, newText: ` ?? ${fallback}` }] } },
    };
  }
}

/** The name a "did you mean" diagnostic proposes (from its data, or its message). */
function replacementOf(diagnostic: Diagnostic): string | undefined {
  const data = diagnostic.data as { replacement?: string } | undefined;
  if (data?.replacement) return data.replacement;
  return /did you mean `([^`(]+)(?:\(\))?`\?/.exec(diagnostic.message)?.[1];
}

function nodeAt(document: LangiumDocument, diagnostic: Diagnostic): AstNode | undefined {
  const root = document.parseResult.value.$cstNode;
  if (!root) return undefined;
  return CstUtils.findLeafNodeAtOffset(root, document.textDocument.offsetAt(diagnostic.range.start))?.astNode;
}

/** Where to insert a declaration before `flow`: before its doc comment, if it has one. */
function flowStart(flow: ast.FlowDecl): number {
  return (docCommentNode(flow) ?? flow.$cstNode!).offset;
}

function defaultFor(kind: ReturnType<typeof broadKind>): string {
  switch (kind) {
    case 'string':
      return '""';
    case 'number':
      return '0';
    case 'boolean':
      return 'false';
    case 'list':
      return '[]';
    case 'record':
      return '{}';
    default:
      return 'null';
  }
}
