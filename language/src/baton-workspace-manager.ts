import { DefaultWorkspaceManager, URI, UriUtils, type LangiumDocument, type LangiumSharedCoreServices, type Stream } from 'langium';
import type { InitializeParams } from 'vscode-languageserver';

/**
 * Langium's workspace manager, taking the client's `rootUri` as its one workspace folder when the client
 * sends no `workspaceFolders` (LSP clients that predate them, or are configured with a root only): Langium
 * reads only `workspaceFolders`, so such a client got no file loaded at start while the server's import
 * boundary ((`BatonWorkspaceRoot`)) was that root. A client that sends neither has no folder; see
 * `docs/language-server.md` for what the server then reads.
 *
 * A file of the workspace that cannot be read at start (removed meanwhile, no permission) is left out
 * instead of failing the start: Langium's start-up then never became ready, and every request waited.
 */
export class BatonWorkspaceManager extends DefaultWorkspaceManager {
  constructor(services: LangiumSharedCoreServices) {
    super(services);
  }

  override initialize(params: InitializeParams): void {
    super.initialize(params);
    if (!this.folders?.length && params.rootUri) {
      const uri = URI.parse(params.rootUri);
      this.folders = [{ uri: params.rootUri, name: UriUtils.basename(uri) }];
    }
  }

  protected override async loadWorkspaceDocuments(uris: Stream<URI>, collector: (document: LangiumDocument) => void): Promise<void> {
    await Promise.all(
      uris.map(async (uri) => {
        try {
          collector(await this.langiumDocuments.getOrCreateDocument(uri));
        } catch {
          // unreadable: left out; a later change notification for it loads it
        }
      }),
    );
  }
}
