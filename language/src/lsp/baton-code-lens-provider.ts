import { GrammarUtils, type LangiumDocument } from 'langium';
import type { CodeLensProvider } from 'langium/lsp';
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import type { BatonServices } from '../baton-module.js';
import type { BatonClientOptions } from '../baton-client-options.js';
import { isDocument, isFlowDecl } from '../generated/ast.js';
import { flowTestsOf } from './baton-flow-tests.js';

/**
 * The commands the CodeLenses carry; the VS Code extension registers them (the server does not execute them).
 * Arguments: `[documentUri, name]`.
 */
export const BatonLensCommands = {
  runFlow: 'baton.flow.run',
  runFlowWithInputs: 'baton.flow.runWithInputs',
  openGraph: 'baton.graph.open',
  runTest: 'baton.test.run',
} as const;

/**
 * CodeLenses over each flow's name — "Run", "Run with inputs…" and "Graph" — and over each test's name —
 * "Run test", each only for a client that said it can run its command (`initializationOptions`: the run and
 * test lenses with {@link BatonClientOptions.runCommands}, Graph with {@link BatonClientOptions.graphPanel});
 * another client gets none, rather than lenses that fail when clicked. Every lens
 * carries its command and the arguments `[documentUri, flowOrTestName]` (the URI as a string, as LSP sends
 * it). Built from the AST alone, so the lenses stay while the file has errors elsewhere.
 */
export class BatonCodeLensProvider implements CodeLensProvider {
  private readonly options: BatonClientOptions;

  constructor(services: BatonServices) {
    this.options = services.baton.ClientOptions;
  }

  provideCodeLens(document: LangiumDocument, _params: CodeLensParams): CodeLens[] {
    const model = document.parseResult.value;
    if (!isDocument(model)) return [];
    const uri = document.uri.toString();
    const lenses: CodeLens[] = [];
    for (const element of model.elements) {
      if (!isFlowDecl(element) || !element.$cstNode || typeof element.name !== 'string') continue;
      const range = GrammarUtils.findNodeForProperty(element.$cstNode, 'name')?.range;
      if (!range) continue;
      const args = [uri, element.name];
      if (this.options.runCommands) {
        lenses.push({ range, command: { title: 'Run', command: BatonLensCommands.runFlow, arguments: args } });
        lenses.push({ range, command: { title: 'Run with inputs…', command: BatonLensCommands.runFlowWithInputs, arguments: args } });
      }
      if (this.options.graphPanel) lenses.push({ range, command: { title: 'Graph', command: BatonLensCommands.openGraph, arguments: args } });
    }
    for (const test of this.options.runCommands ? flowTestsOf(document) : []) {
      lenses.push({ range: test.nameRange, command: { title: 'Run test', command: BatonLensCommands.runTest, arguments: [uri, test.name] } });
    }
    return lenses.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  }
}
