import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LangiumDocument } from 'langium';
import { URI } from 'langium';
import type { BatonCheckerServices } from './baton-core-module.js';
import { importTarget } from './baton-imports.js';
import type * as ast from './generated/ast.js';

/** A problem in a file, as `baton check --json` prints it: lines and columns from 1, end exclusive. */
export interface FlowDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

/** The folder imports may not leave; set by whoever loads documents (the CLI, the language server). */
export class BatonWorkspaceRoot {
  /** Absolute path, or undefined for "no boundary". */
  root: string | undefined;

  /** Whether `file` (absolute) is inside the workspace folder. */
  contains(file: string): boolean {
    if (!this.root) return true;
    const relative = path.relative(this.root, file);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  }
}

/** Documents loaded for a check or a run, and their problems. */
export interface LoadedWorkspace {
  /** The entry documents, in the order given, then every document they import. */
  documents: LangiumDocument[];
  entries: LangiumDocument[];
  /** Problems of all loaded documents, sorted by file, line, column. */
  diagnostics: FlowDiagnostic[];
}

/**
 * The default workspace folder for a CLI invocation: the working directory when `file` is inside it,
 * else the file's own folder.
 */
export function defaultWorkspaceRoot(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? path.dirname(file) : cwd;
}

/**
 * Loads `.flow` files and everything they import (transitively, when the import exists and stays inside
 * the workspace folder), builds them (parse, link, validate) and returns their diagnostics.
 * @param entryPaths absolute paths.
 * @throws Error from the file system when an entry file cannot be read (callers report it, exit 2).
 */
export async function loadWorkspace(
  services: BatonCheckerServices,
  entryPaths: string[],
  options: { workspaceRoot?: string } = {},
): Promise<LoadedWorkspace> {
  const rootService = services.Baton.baton.WorkspaceRoot;
  rootService.root = options.workspaceRoot ?? (entryPaths[0] ? defaultWorkspaceRoot(entryPaths[0]) : undefined);
  const langiumDocuments = services.shared.workspace.LangiumDocuments;
  const loaded = new Map<string, LangiumDocument>();
  const entries: LangiumDocument[] = [];
  const queue: LangiumDocument[] = [];
  for (const file of entryPaths) {
    const document = await langiumDocuments.getOrCreateDocument(URI.file(file));
    if (!loaded.has(document.uri.toString())) {
      loaded.set(document.uri.toString(), document);
      queue.push(document);
    }
    entries.push(document);
  }
  while (queue.length > 0) {
    const document = queue.shift()!;
    for (const imp of (document.parseResult.value as ast.Document).imports) {
      if (!imp.path) continue;
      const target = importTarget(document, imp.path);
      if (loaded.has(target.toString()) || !target.fsPath.endsWith('.flow')) continue;
      if (!rootService.contains(target.fsPath) || !existsSync(target.fsPath)) continue;
      const imported = await langiumDocuments.getOrCreateDocument(target);
      loaded.set(target.toString(), imported);
      queue.push(imported);
    }
  }
  const documents = [...loaded.values()];
  await services.shared.workspace.DocumentBuilder.build(documents, { validation: true });
  const diagnostics: FlowDiagnostic[] = [];
  for (const document of documents) {
    for (const d of document.diagnostics ?? []) {
      if (d.severity !== 1 && d.severity !== 2) continue; // errors and warnings only
      diagnostics.push({
        file: document.uri.fsPath,
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
        severity: d.severity === 1 ? 'error' : 'warning',
        code: String(d.code ?? (d.data as { code?: string } | undefined)?.code ?? 'error'),
        message: d.message,
      });
    }
  }
  diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { documents, entries, diagnostics };
}
