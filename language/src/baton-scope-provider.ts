import type { AstNodeDescription, LangiumDocuments, ReferenceInfo, Scope } from 'langium';
import { AstUtils, DefaultScopeProvider, EMPTY_SCOPE, MapScope, stream } from 'langium';
import type { BatonServices } from './baton-module.js';
import { visibleDocuments } from './baton-imports.js';
import * as ast from './generated/ast.js';

/**
 * Scopes of the Baton language:
 * - agents, flows and types: declared in the same file or in a file it imports (transitively);
 * - inside a `test`, names, `input.x` and `output.x` resolve against the flow named by its `flow:`;
 * - elsewhere, the default: the enclosing flow's local symbols (see BatonScopeComputation).
 */
export class BatonScopeProvider extends DefaultScopeProvider {
  private readonly documents: LangiumDocuments;

  constructor(services: BatonServices) {
    super(services);
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  override getScope(context: ReferenceInfo): Scope {
    const test = AstUtils.getContainerOfType(context.container, ast.isTestDecl);
    if (test && (ast.isNameRef(context.container) || ast.isInputRef(context.container) || ast.isOutputRef(context.container))) {
      const flow = testFlow(test);
      if (!flow) return EMPTY_SCOPE;
      const document = AstUtils.getDocument(flow);
      const referenceType = this.reflection.getReferenceType(context);
      const local = document.localSymbols?.getStream(flow).filter((d) => this.reflection.isSubtype(d.type, referenceType)) ?? stream([]);
      return this.createScope(local);
    }
    return super.getScope(context);
  }

  protected override getGlobalScope(referenceType: string, context: ReferenceInfo): Scope {
    const document = AstUtils.getDocument(context.container);
    const visible = new Set(visibleDocuments(document, this.documents).map((d) => d.uri.toString()));
    const elements: AstNodeDescription[] = this.indexManager
      .allElements(referenceType)
      .filter((d) => visible.has(d.documentUri.toString()))
      .toArray();
    return new MapScope(elements);
  }
}

/** The flow a test runs (its `flow:` property), once linked. */
export function testFlow(test: ast.TestDecl): ast.FlowDecl | undefined {
  const p = test.properties.find(ast.isTestFlowProperty);
  return p?.flow?.ref;
}
