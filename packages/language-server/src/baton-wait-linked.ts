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
