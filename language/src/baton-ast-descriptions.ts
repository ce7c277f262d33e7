import type { AstNode, AstNodeDescription, DocumentSegment, LangiumDocument } from 'langium';
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
    const locator = this.astNodeLocator;
    const nameProvider = this.nameProvider;
    let path: string | undefined;
    let nameSegment: DocumentSegment | undefined;
    let selectionSegment: DocumentSegment | undefined;
    let selectionComputed = false;
    // the text the segments were computed for: an incremental re-check keeps the descriptions of untouched nodes
    // while an edit before them moves their text (baton-incremental.ts)
    let segmentsText: string | undefined;
    const fresh = (): void => {
      const text = node.$cstNode?.root.fullText;
      if (text !== segmentsText) {
        segmentsText = text;
        nameSegment = undefined;
        selectionComputed = false;
      }
    };
    return {
      node,
      name,
      get nameSegment() {
        fresh();
        return (nameSegment ??= CstUtils.toDocumentSegment(nameProvider.getNameNode(node) ?? node.$cstNode));
      },
      get selectionSegment() {
        fresh();
        if (!selectionComputed) {
          selectionSegment = CstUtils.toDocumentSegment(node.$cstNode);
          selectionComputed = true;
        }
        return selectionSegment;
      },
      type: node.$type,
      documentUri: doc.uri,
      get path() {
        return (path ??= locator.getAstNodePath(node));
      },
    };
  }
}
