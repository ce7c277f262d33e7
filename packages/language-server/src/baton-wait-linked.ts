import { DocumentState, UriUtils, type LangiumDocument, type URI } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { CancellationToken } from 'vscode-languageserver';

/** How long a custom request waits for its document to be linked before answering from what is there (ms). */
export const LINKED_WAIT_MS = 3000;

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
 * Waits until `uri` is linked **from the editor's current text**, at most {@link LINKED_WAIT_MS} ms.
 *
 * - Langium's `waitUntil` can wait for a build that never comes (a document reset for re-linking when no build
 *   follows, seen as a `baton/flows` request that never answered); after the bound the caller answers from the
 *   document as it is — its references resolve on access. A document the builder says it will not link is
 *   answered as it is too.
 * - A request sent right after an edit can find the document still linked from the text before it (the
 *   update waits for the build in progress to stop); it then waits for the next linking of this document
 *   whose text is the open editor's (`TextDocuments`), so an answer never describes text that is gone.
 *
 * A cancelled request still rejects with Langium's OperationCancelled.
 */
export async function waitUntilLinked(shared: LangiumSharedServices, uri: URI, token: CancellationToken): Promise<void> {
  const builder = shared.workspace.DocumentBuilder;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, LINKED_WAIT_MS)));
  let listener: { dispose(): void } | undefined;
  try {
    const linked = builder.waitUntil(DocumentState.Linked, uri, token).then(
      () => undefined,
      (error: unknown) => {
        if (token.isCancellationRequested) throw error;
      },
    );
    await Promise.race([linked, bound]);
    const document = shared.workspace.LangiumDocuments.getDocument(uri);
    if (!document || isCurrent(shared, document)) return;
    const current = new Promise<void>((resolve) => {
      listener = builder.onDocumentPhase(DocumentState.Linked, (linkedDocument) => {
        if (UriUtils.equals(linkedDocument.uri, uri) && isCurrent(shared, linkedDocument)) resolve();
      });
    });
    await Promise.race([current, bound]);
  } finally {
    clearTimeout(timer);
    listener?.dispose();
  }
}

/** Whether `document` is linked and parsed from the text the editor has now (true for a file not open). */
function isCurrent(shared: LangiumSharedServices, document: LangiumDocument): boolean {
  if (document.state < DocumentState.Linked) return false;
  const open = shared.workspace.TextDocuments?.get(document.uri.toString());
  return !open || document.parseResult.value.$cstNode?.root.fullText === open.getText();
}
