import { visibleDocuments, type FlowDiagnostic } from '@baton/language/checker';
import type { WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, layoutFlowGraph, renderSvg, toDot, toMermaid } from '@baton/graph';
import { attachSources, BatonError, SqliteRunStore, type RunStoreApi, type RunStoreOptions, type SourceFile } from '@baton/runtime';
import { CliError, UsageError } from './errors.js';
import { formatDiagnostic } from './commands/check.js';
import { displayPath, type Output } from './output/terminal.js';
import { expandFlowPaths } from './files.js';
import { loadFlows, type LoadedFlows } from './load-flows.js';
import { loadCluster, type ClusterModule } from './cluster.js';
import { isStoreUrl, redactStoreUrl } from './store-path.js';

export type { FlowDiagnostic };
export { pickFlow } from './flow-selection.js';
export { toCliError } from './errors.js';
export { loadFlows, type LoadedFlows } from './load-flows.js';

/**
 * The documents a file is compiled with: the file itself first, then every loaded file it imports, directly
 * or through other imports — never the other files loaded beside it (their same-named agents or flows would
 * otherwise replace its own).
 */
export function documentsOf(loaded: LoadedFlows, file: string): LoadedFlows['documents'] {
  const own = loaded.documents.find((d) => d.uri.fsPath === file);
  return own ? visibleDocuments(own, loaded.services.shared.workspace.LangiumDocuments) : [];
}

/**
 * Attaches to `definition` the texts of the documents it was compiled from (its `files`, as the documents hold them:
 * never read again), so the runs stored of it keep them (`NewRun.sources`: the console's Source tab).
 * @returns `definition`.
 */
export function withSources(definition: WorkflowDefinition, documents: LoadedFlows['documents']): WorkflowDefinition {
  const compiled = new Set(definition.files);
  const sources: SourceFile[] = documents.filter((d) => compiled.has(d.uri.fsPath)).map((d) => ({ file: d.uri.fsPath, text: d.textDocument.getText() }));
  attachSources(definition, sources);
  return definition;
}

/**
 * Loads one file for `run`/`graph`: checks it; on errors prints them to stderr and throws (exit 2, "the
 * run does not start"); otherwise compiles the definition (warnings are not printed).
 */
export async function loadDefinition(file: string, output: Output): Promise<{ definition: WorkflowDefinition; entryFile: string }> {
  const [entryFile] = expandFlowPaths([file]);
  const loaded = await loadFlows([entryFile]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) output.err(formatDiagnostic(d, { colors: output.errColors }));
    throw new CliError(`${displayPath(entryFile)} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} first (baton check ${displayPath(entryFile)})`, 2);
  }
  const definition = withSources(loaded.services.Baton.ir.WorkflowBuilder.build(loaded.documents), loaded.documents);
  return { definition, entryFile };
}

/**
 * Checks every `.flow` file of `folder` (searched recursively) and compiles each with what it imports (never with the
 * files beside it: see {@link documentsOf}), its texts attached. For `baton serve` and `baton mcp`.
 * @returns one entry per file (absolute path), in path order.
 * @throws CliError (exit 2) after printing the checker's errors to stderr; UsageError for no or unreadable files.
 */
export async function compileFolder(folder: string, output: Output): Promise<{ file: string; definition: WorkflowDefinition }[]> {
  const files = expandFlowPaths([folder]);
  const loaded = await loadFlows(files);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) output.err(formatDiagnostic(d, { colors: output.errColors }));
    throw new CliError(`nothing served: ${errors.length} checker error${errors.length === 1 ? '' : 's'} (baton check ${folder})`, 2);
  }
  const builder = loaded.services.Baton.ir.WorkflowBuilder;
  return files.map((file) => {
    const documents = documentsOf(loaded, file);
    return { file, definition: withSources(builder.build(documents), documents) };
  });
}

/** The flow's graph as text in a format of `baton graph` (`title`: see `FlowGraph.title`). */
export async function renderGraph(definition: WorkflowDefinition, flowName: string, format: 'json' | 'mermaid' | 'dot' | 'svg', expand: string[] = [], title?: string): Promise<string> {
  const built = buildFlowGraph(definition, flowName, { expand });
  // a stored run's title comes first, then what the flow's own says (its `sla`)
  const graph = { ...built, ...(title ? { title: built.title ? `${title} · ${built.title}` : title } : {}) };
  switch (format) {
    case 'svg':
      return renderSvg(await layoutFlowGraph(graph));
    case 'json':
      return JSON.stringify(graph, null, 2);
    case 'mermaid':
      return toMermaid(graph);
    case 'dot':
      return toDot(graph);
  }
}

/**
 * Opens the run store for a command: a SQLite file, or — for a `postgres://` / `postgresql://` URL — a PostgreSQL
 * store, loading the cluster package only then (see {@link loadCluster}; its password from the URL or
 * `PGPASSWORD`, never printed). `BATON_STORE_WAIT_MS` (whole ms) sets how long one access to a SQLite store waits
 * while other processes hold it (default 30,000) before failing with `STORE_BUSY`; `options` are SQLite's.
 * @throws UsageError (exit 2), one line naming the store (a URL without its password): the file is not a run store
 *   or cannot be opened — left as it was —, or the URL is wrong, the server is down or refused the login.
 */
export async function openStore(storePath: string, options: Omit<RunStoreOptions, 'busyTimeoutMs'> = {}): Promise<RunStoreApi> {
  if (isStoreUrl(storePath)) return openPgStore(storePath);
  try {
    return SqliteRunStore.open(storePath, { ...options, busyTimeoutMs: storeWaitMs() });
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(`--store ${displayPath(storePath)}: ${error.message}`);
    throw error;
  }
}

async function openPgStore(url: string): Promise<RunStoreApi> {
  let cluster: ClusterModule;
  try {
    cluster = await loadCluster();
  } catch (error) {
    throw new UsageError(`--store ${redactStoreUrl(url)}: the PostgreSQL store's package (out/cluster.mjs beside the CLI) cannot be loaded: ${(error as Error).message}`);
  }
  try {
    return await cluster.PgRunStore.open(url);
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(`--store ${redactStoreUrl(url)}: ${error.message}`);
    throw error;
  }
}

/** `BATON_STORE_WAIT_MS` (whole ms), or undefined (the store's default). */
export function storeWaitMs(): number | undefined {
  const wait = process.env.BATON_STORE_WAIT_MS;
  return wait && /^\d+$/.test(wait) ? Number(wait) : undefined;
}
