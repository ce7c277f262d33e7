import { DocumentState, OperationCancelled, UriUtils, type LangiumDocument, type URI } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { CancellationToken } from 'vscode-languageserver';

/**
 * Makes sure the server knows `uri` before a custom request reads it. A `.flow` file written to disk a moment
 * ago can be asked about (the client's own file watcher fired, e.g. the Test Explorer discovering it) before
 * the server's `workspace/didChangeWatchedFiles` for it arrives; the request then found no document and the
 * file stayed unknown to the caller (seen as a walkthrough's new hello.flow missing from the Test Explorer).
 * Such a file is added and built exactly as that notification would have it: `DocumentBuilder.update` under
 * the workspace lock (a later notification for it rebuilds it again, harmlessly).
 * @returns whether the document is known now; false for a missing file, one the workspace does not include
 *   (another extension, a folder such as `node_modules`) and one outside the workspace folders that the client
 *   has not opened (the file system refuses to read it: see `baton-file-access.ts`).
 */
export async function ensureDocument(shared: LangiumSharedServices, uri: URI): Promise<boolean> {
  const documents = shared.workspace.LangiumDocuments;
  if (documents.hasDocument(uri)) return true;
  // A document the client has opened is built from the text the client sent (its update may still be queued).
  if (shared.workspace.TextDocuments?.get(uri.toString())) {
    await shared.workspace.WorkspaceLock.write((token) => shared.workspace.DocumentBuilder.update([uri], [], token));
    return documents.hasDocument(uri);
  }
  try {
    const entry = await shared.workspace.FileSystemProvider.stat(uri);
    if (!entry.isFile || !shared.workspace.WorkspaceManager.shouldIncludeEntry(entry)) return false;
  } catch {
    return false; // no such file (any more)
  }
  await shared.workspace.WorkspaceLock.write((token) => shared.workspace.DocumentBuilder.update([uri], [], token));
  return documents.hasDocument(uri);
}

/**
 * Waits until `uri` is linked **from the editor's current text**, then returns (the caller reads the document).
 *
 * - A request sent right after an edit finds the document below `Linked` or linked from the text before the
 *   edit; it waits for the linking of the text the editor has now (`TextDocuments`), so an answer never
 *   describes text that is gone, and during a burst of edits it waits for the build of the latest one only
 *   (superseded builds are cancelled: `BatonDocumentBuilder`).
 * - Langium's `waitUntil` can wait for a build that never comes (a document reset for re-linking when no build
 *   follows, seen as a `baton/flows` request that never answered). So the wait also ends when the workspace
 *   lock is idle (no build running or queued: a read action runs); if the document is still not linked then,
 *   the pending documents are built here (`DocumentBuilder.update` under the lock, with this document when its
 *   parse is older than the editor's text). Before, the request
 *   answered after a 3 s bound from the document as it was, mid-rebuild, and every reference it touched logged
 *   "Attempted reference resolution before document reached ComputedScopes state".
 *
 * A cancelled request rejects with Langium's OperationCancelled.
 */
export async function waitUntilLinked(shared: LangiumSharedServices, uri: URI, token: CancellationToken): Promise<void> {
  const builder = shared.workspace.DocumentBuilder;
  const lock = shared.workspace.WorkspaceLock;
  let cancelled: { dispose(): void } | undefined;
  const cancellation = new Promise<never>((_resolve, reject) => {
    cancelled = token.onCancellationRequested(() => reject(OperationCancelled));
  });
  cancellation.catch(() => undefined);
  try {
    for (let round = 0; round < 3; round++) {
      if (token.isCancellationRequested) throw OperationCancelled;
      const document = shared.workspace.LangiumDocuments.getDocument(uri);
      if (!document || isCurrent(shared, document)) return;
      let listener: { dispose(): void } | undefined;
      const linked = new Promise<void>((resolve) => {
        listener = builder.onDocumentPhase(DocumentState.Linked, (linkedDocument) => {
          if (UriUtils.equals(linkedDocument.uri, uri) && isCurrent(shared, linkedDocument)) resolve();
        });
      });
      try {
        await Promise.race([linked, lock.read(() => undefined), cancellation]);
      } finally {
        listener?.dispose();
      }
      const now = shared.workspace.LangiumDocuments.getDocument(uri);
      if (!now || isCurrent(shared, now)) return;
      // nothing is building it: build what is pending (this document again if its text is not the editor's)
      const stale = !!shared.workspace.TextDocuments?.get(uri.toString()) && now.parseResult.value.$cstNode?.root.fullText !== shared.workspace.TextDocuments?.get(uri.toString())?.getText();
      await Promise.race([lock.write((writeToken) => builder.update(stale ? [uri] : [], [], writeToken)), cancellation]);
    }
  } finally {
    cancelled?.dispose();
  }
}

/** Whether `document` is linked and parsed from the text the editor has now (true for a file not open). */
function isCurrent(shared: LangiumSharedServices, document: LangiumDocument): boolean {
  if (document.state < DocumentState.Linked) return false;
  const open = shared.workspace.TextDocuments?.get(document.uri.toString());
  return !open || document.parseResult.value.$cstNode?.root.fullText === open.getText();
}
