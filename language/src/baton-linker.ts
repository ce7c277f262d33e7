import type { AstNode, AstNodeDescription, CstNode, DefaultReference, LangiumDocument, LinkingError, Reference, ReferenceInfo } from 'langium';
import { AstUtils, DefaultLinker, DocumentState, RefResolving, interruptAndCheck, isAstNode, isAstNodeDescription, isLinkingError, isMultiReference, isReference } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { documentNodes, forEachReference } from './baton-ast-walk.js';
import { nameIndexBuilder, relinkIncrementally, takeStaleReferences, unlinkReference } from './baton-incremental.js';

/**
 * Langium's linker, linking the same references in the same order, without its lazy streams
 * (cancellation checked every 256 nodes): ~30% of linking a 5,000-step flow was iterator overhead. A
 * node type with at most one cross-reference property (all of Baton's) is linked through that
 * property alone, found once in the grammar's type metadata, instead of by enumerating the node's keys.
 * After a statement-only re-parse it re-links only what the edit can affect ({@link relinkIncrementally}); a full
 * link records the name index that makes that possible.
 */
export class BatonLinker extends DefaultLinker {
  /** Node type → its one cross-reference property (`''`: none), or null to enumerate the node's keys. */
  private readonly referenceProperty = new Map<string, string | null>();

  override async link(document: LangiumDocument, cancelToken?: CancellationToken): Promise<void> {
    if (relinkIncrementally(document, (info) => this.doLink(info, document))) return;
    // the full path: first unlink what a previous build left linked for an incremental build that is not coming
    const stale = takeStaleReferences(document);
    if (stale.length > 0) {
      this.unlink({ references: [...stale, ...document.references] } as unknown as LangiumDocument);
      document.references = [];
    }
    if (this.profiler?.isActive('linking')) return super.link(document, cancelToken);
    const nodes = documentNodes(document.parseResult.value);
    const index = nameIndexBuilder(document);
    const link = (info: ReferenceInfo) => {
      index.record(info);
      this.doLink(info, document);
    };
    for (let i = 0; i < nodes.length; i++) {
      if (cancelToken && (i & 255) === 255) await interruptAndCheck(cancelToken);
      const node = nodes[i];
      const property = this.referencePropertyOf(node.$type);
      if (property === null) forEachReference(node, link);
      else if (property !== '') linkProperty(node, property, link);
    }
    index.finish();
  }

  /** Langium's reference, as an instance of {@link BatonReference} (same behaviour, a fraction of the memory). */
  override buildReference(node: AstNode, property: string, refNode: CstNode | undefined, refText: string): Reference {
    return new BatonReference(this as unknown as LinkerInternals, node, property, refNode, refText);
  }

  /** Langium's `unlink`, each reference unlinked by {@link unlinkReference} (its description cleared, not deleted). */
  override unlink(document: LangiumDocument): void {
    for (const ref of document.references) unlinkReference(ref);
    document.references = [];
  }

  private referencePropertyOf(type: string): string | null {
    let property = this.referenceProperty.get(type);
    if (property === undefined) {
      if (!this.reflection.getAllTypes().includes(type)) property = null;
      else {
        const properties = Object.values(this.reflection.getTypeMetaData(type).properties).filter((p) => p.referenceType !== undefined);
        property = properties.length === 0 ? '' : properties.length === 1 ? properties[0].name : null;
      }
      this.referenceProperty.set(type, property);
    }
    return property;
  }
}

/** `forEachReference` for a node whose only cross-reference property is `property`. */
function linkProperty(node: AstNode, property: string, visit: (info: ReferenceInfo) => void): void {
  const value = (node as unknown as Record<string, unknown>)[property];
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (isReference(value[index])) visit({ reference: value[index], container: node, property, index });
  } else if (isReference(value) || isMultiReference(value)) {
    visit({ reference: value, container: node, property });
  }
}

/** The members of Langium 4.2's `DefaultLinker` a reference's `ref` calls (protected in its types). */
interface LinkerInternals {
  loadAstNode(description: AstNodeDescription): AstNode | undefined;
  createLinkingError(info: ReferenceInfo, description?: AstNodeDescription): LinkingError;
  getLinkedNode(info: ReferenceInfo): { node?: AstNode; descr?: AstNodeDescription; error?: LinkingError };
  throwCyclicReferenceError(node: AstNode, property: string, refText: string): never;
}

/**
 * Langium 4.2's reference (`DefaultLinker.buildReference`, langium/lib/references/linker.js), resolved the same way on
 * the first read of `ref` or by the linker, as a class: Langium's is an object literal with three getters closing over
 * its arguments — new closures and accessor pairs per reference, which V8 keeps as a dictionary-mode object (~450 bytes
 * of properties each: 6.7 MB for the 15,000 references of a 5,000-step flow, all made while parsing and kept).
 * The getters live on the prototype; the context is in private fields (not seen by `Object.keys`, JSON or deep equality).
 */
export class BatonReference implements DefaultReference {
  _ref: AstNode | LinkingError | typeof RefResolving | undefined = undefined;
  _nodeDescription: AstNodeDescription | undefined = undefined;
  readonly #linker: LinkerInternals;
  readonly #node: AstNode;
  readonly #property: string;

  constructor(
    linker: LinkerInternals,
    node: AstNode,
    property: string,
    readonly $refNode: CstNode | undefined,
    readonly $refText: string,
  ) {
    this.#linker = linker;
    this.#node = node;
    this.#property = property;
  }

  get ref(): AstNode | undefined {
    const linker = this.#linker;
    if (isAstNode(this._ref)) return this._ref; // the most frequent case: resolved already
    if (isAstNodeDescription(this._nodeDescription)) {
      // a candidate was found before, but it was not loaded
      this._ref = linker.loadAstNode(this._nodeDescription) ?? linker.createLinkingError({ reference: this, container: this.#node, property: this.#property }, this._nodeDescription);
    } else if (this._ref === undefined) {
      // not linked yet: link it now
      this._ref = RefResolving;
      const document = AstUtils.findRootNode(this.#node).$document;
      const found = linker.getLinkedNode({ reference: this, container: this.#node, property: this.#property });
      if (found.error && document && document.state < DocumentState.ComputedScopes) {
        // the document's scopes are not ready: the linker tries again later
        return (this._ref = undefined);
      }
      this._ref = found.node ?? found.error;
      this._nodeDescription = found.descr;
      document?.references.push(this);
    } else if (this._ref === RefResolving) {
      linker.throwCyclicReferenceError(this.#node, this.#property, this.$refText);
    }
    return isAstNode(this._ref) ? this._ref : undefined;
  }

  get $nodeDescription(): AstNodeDescription | undefined {
    return this._nodeDescription;
  }

  get error(): LinkingError | undefined {
    return isLinkingError(this._ref) ? this._ref : undefined;
  }
}
