import type { AstNode, LangiumDocument, ReferenceDescription, Stream, URI } from 'langium';
import { DefaultIndexManager, DefaultReferenceDescriptionProvider } from 'langium';
import { forEachAstNode, forEachReference } from './baton-ast-walk.js';
import type { CancellationToken } from 'vscode-languageserver';

/** Langium's reference descriptions, also computed synchronously (for BatonIndexManager). */
export class BatonReferenceDescriptionProvider extends DefaultReferenceDescriptionProvider {
  /** The same descriptions as `createDescriptions`, at once. */
  createDescriptionsNow(document: LangiumDocument): ReferenceDescription[] {
    const descriptions: ReferenceDescription[] = [];
    forEachAstNode(document.parseResult.value, (node) => {
      forEachReference(node, (info) => {
        if (!info.reference.error) descriptions.push(...this.createInfoDescriptions(info));
      });
    });
    return descriptions;
  }
}

/**
 * Langium's index, with the cross-reference part built when it is first read instead of on every
 * build (for languages whose ReferenceDescriptionProvider is a BatonReferenceDescriptionProvider). Only find-references, rename and the re-linking of other files read it, while every keystroke
 * rebuilt it: ~100 ms of each re-check of a 5,000-step flow, before its diagnostics could go out. The
 * descriptions are the same (computed by the language's ReferenceDescriptionProvider from the same
 * linked AST); a document that is reset before they are read simply drops its pending entry, as
 * Langium drops its index entry.
 */
export class BatonIndexManager extends DefaultIndexManager {
  /** Linked documents (by URI) whose reference descriptions have not been computed yet. */
  private readonly pending = new Map<string, LangiumDocument>();

  override async updateReferences(document: LangiumDocument, cancelToken?: CancellationToken): Promise<void> {
    if (!(this.serviceRegistry.getServices(document.uri).workspace.ReferenceDescriptionProvider instanceof BatonReferenceDescriptionProvider)) {
      return super.updateReferences(document, cancelToken);
    }
    const uri = document.uri.toString();
    this.referenceIndex.delete(uri);
    this.pending.set(uri, document);
  }

  override removeReferences(uri: URI): void {
    this.pending.delete(uri.toString());
    super.removeReferences(uri);
  }

  override findAllReferences(targetNode: AstNode, astNodePath: string): Stream<ReferenceDescription> {
    for (const uri of [...this.pending.keys()]) this.computeReferences(uri);
    return super.findAllReferences(targetNode, astNodePath);
  }

  override isAffected(document: LangiumDocument, changedUris: Set<string>): boolean {
    this.computeReferences(document.uri.toString());
    return super.isAffected(document, changedUris);
  }

  /** What Langium's eager `updateReferences` stores, synchronously (no cancellation: the AST is linked). */
  private computeReferences(uri: string): void {
    const document = this.pending.get(uri);
    if (!document) return;
    this.pending.delete(uri);
    const provider = this.serviceRegistry.getServices(document.uri).workspace.ReferenceDescriptionProvider as BatonReferenceDescriptionProvider;
    this.referenceIndex.set(uri, provider.createDescriptionsNow(document));
  }
}
