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

  /**
   * The `.flow` files in a folder a file watcher reported. A folder hidden inside a workspace folder (`.baton`, where
   * the run store keeps its lock folder `runs.db.lock` for a moment; `.git`) is left out, as the start-up scan leaves
   * it out (Langium's `shouldIncludeEntry`): searching it logged "Failure to read directory content of …/.baton/
   * runs.db.lock … ENOENT" into the editor's output whenever a run ended, the lock folder gone before it was read.
   */
  override async searchFolder(uri: URI): Promise<URI[]> {
    const folder = this.folders?.map((f) => URI.parse(f.uri)).find((f) => UriUtils.equals(f, uri) || UriUtils.contains(f, uri));
    const inside = folder ? UriUtils.relative(folder, uri).split('/') : [];
    if (inside.some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..')) return [];
    return super.searchFolder(uri);
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
