import { DocumentState, URI, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { Connection, Disposable } from 'vscode-languageserver';
import { isFlowDecl, visibleDocuments, type BatonServices, type Document } from '@baton/language';
import { buildFlowGraph } from '@baton/graph';
import { GraphRequest, type GraphResult, type LspPosition, type LspRange } from '@baton/protocol';
import { ensureDocument, waitUntilLinked } from './baton-wait-linked.js';
import { GraphLayouts } from './graph-layout.js';

/**
 * Serves {@link GraphRequest} (`baton/graph`): waits until the workspace is loaded and the document linked,
 * then answers with {@link flowGraphOf}; with `layout`, also the graph's layout from `layouts` (a thread of its own,
 * see {@link GraphLayouts}), else the panel's webview lays it out.
 */
export function registerGraphRequest(connection: Connection, shared: LangiumSharedServices, baton: BatonServices, layouts = new GraphLayouts()): void {
  warmLayoutsWhenIdle(shared, baton, layouts);
  connection.onRequest(GraphRequest, async ({ uri, flow, expand, position, layout }, token) => {
    const documentUri = URI.parse(uri);
    const documents = shared.workspace.LangiumDocuments;
    await shared.workspace.WorkspaceManager.ready;
    if (!(await ensureDocument(shared, documentUri))) return { flows: [], error: 'the language server does not know this file' };
    await waitUntilLinked(shared, documentUri, token);
    const document = documents.getDocument(documentUri);
    if (!document) return { flows: [], error: 'the language server does not know this file' };
    const result = flowGraphOf(document, visibleDocuments(document, documents), baton, flow, expand, position);
    if (layout && result.graph) {
      const laidOut = await layouts.layout(result.graph);
      if (laidOut) result.layout = laidOut;
    }
    return result;
  });
}

/** How long (ms) the server waits, idle after a build that validated a flow, before it warms the layout thread. */
export const LAYOUT_WARM_UP_IDLE_MS = 100;

/**
 * For a client with a graph panel (`initializationOptions.graphPanel`): once a build has validated a document that
 * declares a flow and no other update came for `idleMs`, starts the layout thread and warms elkjs
 * ({@link GraphLayouts.warmUp}), so the panel's first drawing does not wait for elkjs to load and compile (~1 s of a
 * thread's CPU). Waiting for an idle moment keeps that work off the first build (on 2 cores they competed). Once:
 * the listeners are dropped when it fires, or at the first build for a client without a panel.
 * @returns the listeners, to dispose of them early.
 */
export function warmLayoutsWhenIdle(shared: LangiumSharedServices, baton: BatonServices, layouts: GraphLayouts, idleMs = LAYOUT_WARM_UP_IDLE_MS): Disposable {
  const builder = shared.workspace.DocumentBuilder;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  const built = builder.onBuildPhase(DocumentState.Validated, (documents) => {
    if (!baton.baton.ClientOptions.graphPanel) return stop();
    if (!documents.some((d) => ((d.parseResult.value as Document).elements ?? []).some(isFlowDecl))) return;
    wait();
    timer = setTimeout(() => {
      stop();
      layouts.warmUp();
    }, idleMs);
  });
  // an edit (or a file change) came: the build it starts arms the timer again
  const updated = builder.onUpdate(wait);
  const stop = (): void => {
    wait();
    built.dispose();
    updated.dispose();
  };
  return { dispose: stop };
}

/**
 * The graph of one flow of `document` (linked; `documents` = it and what it imports, it first):
 * - a syntax error: the flows parsed so far and `error` = the first one with its 1-based line, no graph;
 * - no flow: `error` = `the file declares no flow` (a file of agents only, an empty file);
 * - otherwise the IR is built with the CLI's builder and `buildFlowGraph` draws the flow declared around
 *   `position` (the cursor), else `flow`, else the first flow, with the sub-flow steps in `expand` drawn open.
 * `flowRanges` says where each flow is, for the editor to follow its cursor. Never throws: a compile failure
 * becomes `error`.
 */
export function flowGraphOf(document: LangiumDocument, documents: LangiumDocument[], baton: BatonServices, flow?: string, expand: string[] = [], position?: LspPosition): GraphResult {
  const root = document.parseResult.value as Document;
  const declared = (root.elements ?? []).filter(isFlowDecl).filter((e) => !!e.name);
  const flows = declared.map((e) => e.name);
  const flowRanges = declared.flatMap((e) => (e.$cstNode ? [{ flow: e.name, range: e.$cstNode.range }] : []));
  const syntax = firstSyntaxError(document);
  if (syntax) return { flows, flowRanges, error: syntax };
  if (flows.length === 0) return { flows, flowRanges, error: 'the file declares no flow' };
  const atCursor = position ? flowRanges.find((f) => contains(f.range, position))?.flow : undefined;
  const chosen = atCursor ?? (flow && flows.includes(flow) ? flow : flows[0]);
  try {
    const definition = baton.ir.WorkflowBuilder.build(documents);
    return { flows, flow: chosen, flowRanges, graph: buildFlowGraph(definition, chosen, { expand }) };
  } catch (error) {
    return { flows, flow: chosen, flowRanges, error: `the flow could not be compiled: ${(error as Error).message}` };
  }
}

/** Whether the zero-based `position` is within `range` (both ends included: a cursor just after the closing `}` is still in the flow). */
function contains(range: LspRange, position: LspPosition): boolean {
  const { start, end } = range;
  if (position.line < start.line || position.line > end.line) return false;
  if (position.line === start.line && position.character < start.character) return false;
  if (position.line === end.line && position.character > end.character) return false;
  return true;
}

/** `line 4: <message>` for the document's first lexer or parser error (1-based line), or undefined. */
function firstSyntaxError(document: LangiumDocument): string | undefined {
  const lexer = document.parseResult.lexerErrors[0];
  if (lexer) return `line ${lexer.line ?? '?'}: ${lexer.message}`;
  const parser = document.parseResult.parserErrors[0];
  if (!parser) return undefined;
  const line = Number.isFinite(parser.token.startLine) ? parser.token.startLine : undefined;
  return `line ${line ?? document.textDocument.lineCount}: ${parser.message}`;
}
