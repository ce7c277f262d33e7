import { DocumentState, type URI } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { CancellationToken } from 'vscode-languageserver';

/** How long a custom request waits for its document to be linked before answering from what is there (ms). */
export const LINKED_WAIT_MS = 3000;

/**
 * Waits until `uri` is linked, at most {@link LINKED_WAIT_MS} ms. Langium's `waitUntil` can wait for a build
 * that never comes (a document reset for re-linking when no build follows, seen as a `baton/flows` request
 * that never answered); after the bound the caller answers from the document as it is — its references
 * resolve on access. A cancelled request still rejects with Langium's OperationCancelled; a document the
 * builder says it will not link is answered as it is too.
 */
/**
 * Makes sure the server knows `uri` before a custom request reads it. A `.flow` file written to disk a moment
 * ago can be asked about (the client's own file watcher fired, e.g. the Test Explorer discovering it) before
 * the server's `workspace/didChangeWatchedFiles` for it arrives; the request then found no document and the
 * file stayed unknown to the caller (seen as a walkthrough's new hello.flow missing from the Test Explorer).
 * Such a file is added and built exactly as that notification would have it: `DocumentBuilder.update` under
 * the workspace lock (a later notification for it rebuilds it again, harmlessly).
 * @returns whether the document is known now; false for a missing file or one the workspace does not include
 *   (another extension, a folder such as `node_modules`).
 */
export async function ensureDocument(shared: LangiumSharedServices, uri: URI): Promise<boolean> {
  const documents = shared.workspace.LangiumDocuments;
  if (documents.hasDocument(uri)) return true;
  try {
    const entry = await shared.workspace.FileSystemProvider.stat(uri);
    if (!entry.isFile || !shared.workspace.WorkspaceManager.shouldIncludeEntry(entry)) return false;
  } catch {
    return false; // no such file (any more)
  }
  await shared.workspace.WorkspaceLock.write((token) => shared.workspace.DocumentBuilder.update([uri], [], token));
  return documents.hasDocument(uri);
}

export async function waitUntilLinked(shared: LangiumSharedServices, uri: URI, token: CancellationToken): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, LINKED_WAIT_MS)));
  try {
    await Promise.race([
      shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked, uri, token).then(
        () => undefined,
        (error: unknown) => {
          if (token.isCancellationRequested) throw error;
        },
      ),
      bound,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
