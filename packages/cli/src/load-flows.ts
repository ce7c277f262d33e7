import { accessSync, constants } from 'node:fs';
import { NodeFileSystem } from 'langium/node';
import { createBatonCheckerServices, loadWorkspace, type BatonCheckerServices, type FlowDiagnostic } from '@baton/language/checker';
import { UsageError } from './errors.js';
import { displayPath } from './output/terminal.js';

export type { FlowDiagnostic };

// `baton check`'s path (issue 15): the checker only — no run store, graph or runtime (backend.ts re-exports these), and
// the checker's services without the language server's (`@baton/language/checker`)

/** Loaded files, their problems and the documents (for compiling). */
export interface LoadedFlows {
  /** Every file loaded: the ones given and the ones they import. */
  files: string[];
  diagnostics: FlowDiagnostic[];
  documents: Awaited<ReturnType<typeof loadWorkspace>>['documents'];
  /** The services that checked them (compile with these: building services again costs ~0.2 s). */
  services: BatonCheckerServices;
}

/**
 * Checks `.flow` files (absolute paths) and what they import, with the same services as the editor.
 * @throws UsageError (exit 2) when a file cannot be read.
 */
export async function loadFlows(files: string[]): Promise<LoadedFlows> {
  for (const file of files) {
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      throw new UsageError(`${displayPath(file)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const services = createBatonCheckerServices(NodeFileSystem);
  let loaded;
  try {
    loaded = await loadWorkspace(services, files);
  } catch (error) {
    throw new UsageError(`cannot load the files: ${(error as Error).message}`);
  }
  return { files: loaded.documents.map((d) => d.uri.fsPath), diagnostics: loaded.diagnostics, documents: loaded.documents, services };
}
