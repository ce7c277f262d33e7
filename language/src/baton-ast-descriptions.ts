import type { AstNode, AstNodeDescription, AstNodeLocator, DocumentSegment, LangiumDocument, NameProvider, URI } from 'langium';
import { AstUtils, CstUtils, DefaultAstNodeDescriptionProvider } from 'langium';

/**
 * Langium's descriptions of named nodes (the local and exported symbols), with the same values, but the
 * node path and the selection segment computed when first read rather than for each of the thousands
 * of symbols a long flow declares (scopes only need the name and the node). The segments are computed again
 * when the document's text changed since (an incremental re-check keeps the descriptions of untouched nodes).
 */
export class BatonAstNodeDescriptionProvider extends DefaultAstNodeDescriptionProvider {
  override createDescription(node: AstNode, name: string | undefined, document?: LangiumDocument): AstNodeDescription {
    const doc = document ?? AstUtils.getDocument(node);
    name ??= this.nameProvider.getName(node);
    if (!name) throw new Error(`Node at path ${this.astNodeLocator.getAstNodePath(node)} has no name.`);
    return new BatonAstNodeDescription(node, name, doc.uri, this.astNodeLocator, this.nameProvider);
  }
}

/**
 * One description (Langium's `AstNodeDescription`: `node`, `name`, `type`, `documentUri`, and `path`, `nameSegment`,
 * `selectionSegment` computed when read). A class, not an object literal with getters: the literal's per-object
 * closures and accessor pairs make V8 keep each one as a slow, dictionary-mode object (~450 bytes of properties).
 * What it computes lazily is in private fields (not seen by `Object.keys`, JSON or deep equality).
 */
class BatonAstNodeDescription implements AstNodeDescription {
  readonly type: string;
  #path: string | undefined;
  #nameSegment: DocumentSegment | undefined;
  #selectionSegment: DocumentSegment | undefined;
  #selectionComputed = false;
  /** The text the segments were computed for: an edit before the node moves its text (baton-incremental.ts). */
  #segmentsText: string | undefined;
  readonly #locator: AstNodeLocator;
  readonly #nameProvider: NameProvider;

  constructor(
    readonly node: AstNode,
    readonly name: string,
    readonly documentUri: URI,
    locator: AstNodeLocator,
    nameProvider: NameProvider,
  ) {
    this.type = node.$type;
    this.#locator = locator;
    this.#nameProvider = nameProvider;
  }

  get nameSegment(): DocumentSegment | undefined {
    this.#fresh();
    return (this.#nameSegment ??= CstUtils.toDocumentSegment(this.#nameProvider.getNameNode(this.node) ?? this.node.$cstNode));
  }

  get selectionSegment(): DocumentSegment | undefined {
    this.#fresh();
    if (!this.#selectionComputed) {
      this.#selectionSegment = CstUtils.toDocumentSegment(this.node.$cstNode);
      this.#selectionComputed = true;
    }
    return this.#selectionSegment;
  }

  get path(): string {
    return (this.#path ??= this.#locator.getAstNodePath(this.node));
  }

  #fresh(): void {
    const text = this.node.$cstNode?.root.fullText;
    if (text !== this.#segmentsText) {
      this.#segmentsText = text;
      this.#nameSegment = undefined;
      this.#selectionComputed = false;
    }
  }
}
