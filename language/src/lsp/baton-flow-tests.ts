import { GrammarUtils, type LangiumDocument } from 'langium';
import type { FlowTestInfo } from '@baton/protocol';
import { isDocument, isTestDecl, isTestFlowProperty } from '../generated/ast.js';

/**
 * The `test` blocks of a parsed document, in source order, for the `baton/tests` request and the "Run
 * test" CodeLens. Reads only the AST (no linking or validation needed), so a parse error elsewhere in the
 * file leaves the other tests listed; a block the parser could not give a name is left out.
 * @returns ranges in LSP terms (lines and characters from 0, end exclusive).
 */
export function flowTestsOf(document: LangiumDocument): FlowTestInfo[] {
  const model = document.parseResult.value;
  if (!isDocument(model)) return [];
  const tests: FlowTestInfo[] = [];
  for (const element of model.elements) {
    if (!isTestDecl(element) || !element.$cstNode || typeof element.name !== 'string') continue;
    const nameNode = GrammarUtils.findNodeForProperty(element.$cstNode, 'name');
    if (!nameNode) continue;
    const flow = element.properties.find(isTestFlowProperty)?.flow?.$refText ?? '';
    tests.push({ name: element.name, flow, range: element.$cstNode.range, nameRange: nameNode.range });
  }
  return tests;
}
