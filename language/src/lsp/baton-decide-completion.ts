// Completion after a test's `decide <step>.`: the tools of that step's agent that have an `approval` — the calls a
// test can decide (docs/language.md, Tests).
import type { LangiumDocument } from 'langium';
import { AstUtils, CstUtils } from 'langium';
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver';
import { testFlow } from '../baton-scope-provider.js';
import { toolName } from '../ir/baton-ir-tools.js';
import * as ast from '../generated/ast.js';

/** `decide answer.Ref|` in a test: the step's name and the partial tool name typed so far. */
export const DECIDE_TOOL_PREFIX = /^\s*decide\s+([_a-zA-Z]\w*)\.(\w*)$/;

/**
 * The tools with an `approval` of the agent that step `step` of the test's flow calls (by the name the model calls
 * them, as `decide <step>.<tool>` takes it), replacing `partial`; none when the cursor is not in a test, the step is
 * not in its flow or does not call an agent.
 */
export function decidableTools(document: LangiumDocument, position: Position, step: string, partial: string): CompletionItem[] {
  const root = document.parseResult.value.$cstNode;
  const offset = document.textDocument.offsetAt(position);
  const at = root && CstUtils.findLeafNodeBeforeOffset(root, offset)?.astNode;
  const test = at && AstUtils.getContainerOfType(at, ast.isTestDecl);
  const flow = test && testFlow(test);
  if (!flow) return [];
  const node = AstUtils.streamAllContents(flow).find((n): n is ast.Step => ast.isStep(n) && n.name === step);
  const agent = node?.target?.ref;
  if (!ast.isAgentDecl(agent)) return [];
  const start = { line: position.line, character: position.character - partial.length };
  const items: CompletionItem[] = [];
  for (const entry of agent.properties.find(ast.isToolsProperty)?.tools ?? []) {
    const approval = entry.properties.find(ast.isToolApprovalProperty);
    const name = toolName(entry);
    if (!name || !approval || !(approval.value || approval.assignee !== undefined) || !name.startsWith(partial)) continue;
    const who = approval.assignee !== undefined ? `approval for ${approval.assignee}` : 'approval';
    items.push({ label: name, kind: CompletionItemKind.Method, detail: `tool of ${agent.name} (${who}): decide its next waiting call`, textEdit: { range: { start, end: position }, newText: name }, sortText: '0' });
  }
  return items;
}
