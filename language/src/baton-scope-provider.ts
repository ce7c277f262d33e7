import type { AstNodeDescription, LangiumDocument, LangiumDocuments, ReferenceInfo, Scope } from 'langium';
import type { AstNode } from 'langium';
import { AstUtils, DefaultScopeProvider, EMPTY_SCOPE, MapScope, WorkspaceCache, stream } from 'langium';
import type { BatonServices } from './baton-module.js';
import { visibleDocuments } from './baton-imports.js';
import * as ast from './generated/ast.js';
import { symbolsEpoch } from './baton-incremental.js';
import { topLevelElement } from './baton-ast-walk.js';

/**
 * Scopes of the Baton language:
 * - agents, flows and types: declared in the same file or in a file it imports (transitively);
 * - inside a `test`, names, `input.x` and `output.x` resolve against the flow named by its `flow:`;
 * - elsewhere, the default: the enclosing flow's local symbols (see BatonScopeComputation).
 *
 * Scopes are hash maps cached until the workspace changes (one per container and reference type, one
 * global scope per document and type), so linking a flow of N steps costs O(N), not O(N²) as with
 * Langium's default stream scopes.
 */
export class BatonScopeProvider extends DefaultScopeProvider {
  private readonly documents: LangiumDocuments;
  /** container node → reference type → its scope (with the outer scopes chained). */
  private readonly localScopes: WorkspaceCache<AstNode, Map<string, Scope>>;
  /** container node → reference type → its scope kept across builds, with the symbols' epoch it is for (baton-incremental.ts). */
  private readonly kept = new WeakMap<AstNode, Map<string, { scope: MapScope; epoch: number }>>();
  /** `<document uri>|<reference type>` → the names visible from that document's imports. */
  private readonly globalScopes: WorkspaceCache<string, Scope>;

  constructor(services: BatonServices) {
    super(services);
    this.documents = services.shared.workspace.LangiumDocuments;
    this.localScopes = new WorkspaceCache(services.shared);
    this.globalScopes = new WorkspaceCache(services.shared);
  }

  override getScope(context: ReferenceInfo): Scope {
    // a `test` can only be a top-level declaration: "inside which test, if any" without testing every ancestor's type
    const test = topLevelElement(context.container);
    if (ast.isTestDecl(test) && (ast.isNameRef(context.container) || ast.isInputRef(context.container) || ast.isOutputRef(context.container))) {
      const flow = testFlow(test);
      if (!flow) return EMPTY_SCOPE;
      const document = AstUtils.getDocument(flow);
      const referenceType = this.reflection.getReferenceType(context);
      const local = document.localSymbols?.getStream(flow).filter((d) => this.reflection.isSubtype(d.type, referenceType)) ?? stream([]);
      return this.createScope(local);
    }
    const referenceType = this.reflection.getReferenceType(context);
    return this.scopeOf(context.container, referenceType, context);
  }

  /** The scope seen from `node`: its own local symbols (if any) over its container's scope. */
  private scopeOf(node: AstNode | undefined, referenceType: string, context: ReferenceInfo): Scope {
    if (!node) return this.getGlobalScope(referenceType, context);
    const symbols = AstUtils.getDocument(node).localSymbols;
    if (!symbols?.has(node)) return this.scopeOf(node.$container, referenceType, context);
    let byType = this.localScopes.get(node);
    if (!byType) {
      byType = new Map();
      this.localScopes.set(node, byType);
    }
    let scope = byType.get(referenceType);
    if (!scope) {
      const outer = this.scopeOf(node.$container, referenceType, context);
      const document = AstUtils.getDocument(node);
      scope = this.keptScope(node, referenceType, outer, document) ?? this.keepScope(node, referenceType, new MapScope(firstOfEachName(symbols.getStream(node).filter((d) => this.reflection.isSubtype(d.type, referenceType))), outer), document);
      byType.set(referenceType, scope);
    }
    return scope;
  }

  /**
   * The scope of `node`'s own symbols for `referenceType` kept from an earlier build, when its symbols are the same or
   * were patched since by one statement-only re-parse that put, in the place of the descriptions it took out,
   * descriptions of the same names in the same order (then each name's first description is the same position
   * of the list: the map's order is a fresh scope's, its values are patched). `outer` (made in this build) is put
   * under it. Undefined: make it anew. A flow of 5,000 steps: ~4 ms per re-check not spent rebuilding its map.
   */
  private keptScope(node: AstNode, referenceType: string, outer: Scope, document: LangiumDocument): Scope | undefined {
    const entry = this.kept.get(node)?.get(referenceType);
    const state = symbolsEpoch(document);
    if (!entry || !state) return undefined;
    if (entry.epoch !== state.epoch) {
      if (entry.epoch !== state.epoch - 1 || !state.patches) return undefined;
      if (state.patches.has(node)) {
        const patch = state.patches.get(node);
        if (!patch) return undefined;
        const removed = patch.removed.filter((d) => this.reflection.isSubtype(d.type, referenceType));
        const added = patch.added.filter((d) => this.reflection.isSubtype(d.type, referenceType));
        if (removed.length !== added.length || removed.some((d, i) => d.name !== added[i].name)) return undefined;
        const elements = (entry.scope as unknown as { elements: Map<string, AstNodeDescription> }).elements;
        for (let i = 0; i < removed.length; i++) if (elements.get(removed[i].name) === removed[i]) elements.set(removed[i].name, added[i]);
      }
      entry.epoch = state.epoch;
    }
    (entry.scope as unknown as { outerScope: Scope }).outerScope = outer;
    return entry.scope;
  }

  private keepScope(node: AstNode, referenceType: string, scope: MapScope, document: LangiumDocument): MapScope {
    const state = symbolsEpoch(document);
    if (!state) return scope;
    let byType = this.kept.get(node);
    if (!byType) this.kept.set(node, (byType = new Map()));
    byType.set(referenceType, { scope, epoch: state.epoch });
    return scope;
  }

  protected override getGlobalScope(referenceType: string, context: ReferenceInfo): Scope {
    const document = AstUtils.getDocument(context.container);
    return this.globalScopes.get(`${document.uri.toString()}|${referenceType}`, () => this.computeGlobalScope(referenceType, document));
  }

  private computeGlobalScope(referenceType: string, document: ReturnType<typeof AstUtils.getDocument>): Scope {
    const visible = new Set(visibleDocuments(document, this.documents).map((d) => d.uri.toString()));
    const elements: AstNodeDescription[] = this.indexManager
      .allElements(referenceType)
      .filter((d) => visible.has(d.documentUri.toString()))
      .toArray();
    return new MapScope(firstOfEachName(elements));
  }
}

/** Keeps the first description of each name (a duplicate is reported on the later declaration). */
function firstOfEachName(elements: Iterable<AstNodeDescription>): AstNodeDescription[] {
  const seen = new Map<string, AstNodeDescription>();
  for (const element of elements) if (!seen.has(element.name)) seen.set(element.name, element);
  return [...seen.values()];
}

/** The flow a test runs (its `flow:` property), once linked. */
export function testFlow(test: ast.TestDecl): ast.FlowDecl | undefined {
  const p = test.properties.find(ast.isTestFlowProperty);
  return p?.flow?.ref;
}
