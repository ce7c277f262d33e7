import type { AstNode, LangiumDocument, ReferenceInfo } from 'langium';
import { DefaultLinker, interruptAndCheck, isMultiReference, isReference } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { documentNodes, forEachReference } from './baton-ast-walk.js';
import { nameIndexBuilder, relinkIncrementally, takeStaleReferences } from './baton-incremental.js';

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
