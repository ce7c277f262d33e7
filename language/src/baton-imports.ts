import type { LangiumDocument, LangiumDocuments, URI } from 'langium';
import { UriUtils } from 'langium';
import type * as ast from './generated/ast.js';

/** The URI an `import "path"` of `document` points to (relative to the importing file). */
export function importTarget(document: LangiumDocument, path: string): URI {
  return UriUtils.resolvePath(UriUtils.dirname(document.uri), path);
}

/**
 * The documents whose declarations `document` sees: itself and every loaded document it imports,
 * directly or through other imports. Imports that are not loaded are left out (the checker reports them).
 */
export function visibleDocuments(document: LangiumDocument, documents: LangiumDocuments): LangiumDocument[] {
  const seen = new Map<string, LangiumDocument>([[document.uri.toString(), document]]);
  const queue = [document];
  while (queue.length > 0) {
    const current = queue.shift()!;
    const root = current.parseResult?.value as ast.Document | undefined;
    for (const imp of root?.imports ?? []) {
      if (!imp.path) continue;
      const uri = importTarget(current, imp.path);
      const key = uri.toString();
      if (seen.has(key) || !documents.hasDocument(uri)) continue;
      const target = documents.getDocument(uri);
      if (!target) continue;
      seen.set(key, target);
      queue.push(target);
    }
  }
  return [...seen.values()];
}
