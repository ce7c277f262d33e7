import path from 'node:path';
import { URI, type FileSystemNode, type FileSystemProvider } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { NodeFileSystemProvider } from 'langium/node';
import type { ImportLoading } from '@baton/language';

/**
 * Which files the language server may read from disk. The rule (docs/language-server.md, "Files the server
 * reads"):
 * - with workspace folders (or a `rootUri`): files inside them, and nothing else;
 * - without (a client that sends neither): the files its open documents import, relative to the importing
 *   file, transitively ({@link admit}, called by the document builder as it finds the imports) — what the
 *   user asked for by opening the importer;
 * - a document the client opened is never read from disk (the client sends its text), wherever it is.
 *
 * A request naming any other file (`baton/flows`, `baton/graph`, `baton/tests`, find references on a URI the
 * server does not know, …) is refused, because the file system below refuses to read it; before, such a
 * request read and indexed a `.flow` from anywhere, and `workspace/symbol` listed its agents afterwards.
 */
export class BatonFileAccess implements ImportLoading {
  /** The workspace folders as file-system paths; empty: none. */
  private folders: string[] = [];
  /** Files admitted as imports of open documents (no workspace folders), as `file:` URI strings. */
  private readonly admitted = new Set<string>();

  /** Sets the folders from the LSP `initialize` parameters (`workspaceFolders`, else `rootUri`). */
  setFolders(workspaceFolders: readonly { uri: string }[] | null | undefined, rootUri: string | null | undefined): void {
    const uris = workspaceFolders?.length ? workspaceFolders.map((f) => f.uri) : rootUri ? [rootUri] : [];
    this.folders = uris.map((u) => URI.parse(u)).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  }

  /** Whether the client named any workspace folder (then imports are never loaded by {@link admit}). */
  get hasFolders(): boolean {
    return this.folders.length > 0;
  }

  /** Whether `uri` may be read: inside a workspace folder, or admitted as an import. */
  mayRead(uri: URI): boolean {
    if (uri.scheme !== 'file') return false;
    if (this.admitted.has(uri.toString())) return true;
    return this.folders.some((folder) => {
      const relative = path.relative(folder, uri.fsPath);
      return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    });
  }

  /** Admits an import target found in a document being built, when the client has no workspace folder. */
  admit(uri: URI): boolean {
    if (this.hasFolders || uri.scheme !== 'file') return false;
    this.admitted.add(uri.toString());
    return true;
  }
}

/**
 * Node's file system for Langium, reading only what {@link BatonFileAccess} allows; anything else fails as a
 * missing file would (`ENOENT`-like error naming the rule), so every caller's "no such file" path applies.
 */
export class BatonServerFileSystem extends NodeFileSystemProvider implements FileSystemProvider {
  constructor(private readonly access: BatonFileAccess) {
    super();
  }

  private check(uri: URI): void {
    if (!this.access.mayRead(uri)) {
      throw Object.assign(new Error(`${uri.fsPath} is outside the workspace folders; the Baton language server reads only files inside them`), { code: 'ENOENT' });
    }
  }

  override async stat(uri: URI): Promise<FileSystemNode> {
    this.check(uri);
    return super.stat(uri);
  }

  override statSync(uri: URI): FileSystemNode {
    this.check(uri);
    return super.statSync(uri);
  }

  override async exists(uri: URI): Promise<boolean> {
    return this.access.mayRead(uri) && super.exists(uri);
  }

  override existsSync(uri: URI): boolean {
    return this.access.mayRead(uri) && super.existsSync(uri);
  }

  override async readBinary(uri: URI): Promise<Uint8Array> {
    this.check(uri);
    return super.readBinary(uri);
  }

  override readBinarySync(uri: URI): Uint8Array {
    this.check(uri);
    return super.readBinarySync(uri);
  }

  override async readFile(uri: URI): Promise<string> {
    this.check(uri);
    return super.readFile(uri);
  }

  override readFileSync(uri: URI): string {
    this.check(uri);
    return super.readFileSync(uri);
  }

  override async readDirectory(uri: URI): Promise<FileSystemNode[]> {
    this.check(uri);
    return super.readDirectory(uri);
  }

  override readDirectorySync(uri: URI): FileSystemNode[] {
    this.check(uri);
    return super.readDirectorySync(uri);
  }
}

/**
 * Forgets a document when the client closes it and the server may not read it back: a file outside the
 * workspace folders (never read from disk), or one that does not exist on disk (an unsaved file). Langium
 * keeps every document it has seen; such a one stayed in the index (listed by `workspace/symbol`) and, having
 * linking errors, was linked again at every edit of any file — each closed scratch file made every keystroke
 * slower. It is removed as a deleted file would be (`DocumentBuilder.update([], [uri])`, its diagnostics
 * cleared).
 */
export function forgetClosedDocuments(shared: LangiumSharedServices, access: BatonFileAccess): void {
  shared.workspace.TextDocuments?.onDidClose(async ({ document }) => {
    const uri = URI.parse(document.uri);
    if (access.mayRead(uri) && (await shared.workspace.FileSystemProvider.exists(uri))) return;
    await shared.workspace.WorkspaceManager.ready;
    await shared.workspace.WorkspaceLock.write((token) => shared.workspace.DocumentBuilder.update([], [uri], token));
  });
}
