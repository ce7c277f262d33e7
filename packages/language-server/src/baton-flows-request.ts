import { URI, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { Connection } from 'vscode-languageserver';
import { visibleDocuments, type BatonServices } from '@baton/language';
import { trace } from './baton-trace.js';
import { ensureDocument, waitUntilLinked } from './baton-wait-linked.js';
import {
  FlowsRequest,
  describeType,
  forEachStatement,
  type FlowInfo,
  type FlowNodeInfo,
  type JsonValue,
  type LspRange,
  type SourceRange,
  type Statement,
  type WorkflowDefinition,
} from '@baton/protocol';

/**
 * Serves {@link FlowsRequest} (`baton/flows`): waits until the workspace is loaded and the document linked, compiles it and its
 * imports with the IR builder the CLI uses, and answers with {@link flowInfos}.
 */
export function registerFlowsRequest(connection: Connection, shared: LangiumSharedServices, baton: BatonServices): void {
  connection.onRequest(FlowsRequest, async ({ uri }, token) => {
    const documentUri = URI.parse(uri);
    const documents = shared.workspace.LangiumDocuments;
    // While the server starts, the workspace's files are still being loaded (as Langium's own handlers do).
    await shared.workspace.WorkspaceManager.ready;
    if (!(await ensureDocument(shared, documentUri))) return [];
    await waitUntilLinked(shared, documentUri, token);
    const document = documents.getDocument(documentUri);
    if (!document) return [];
    return compileFlows(document, visibleDocuments(document, documents), baton);
  });
}

/** Compiles `documents` (the entry first) and lists their flows; `[]` when the IR cannot be built. */
export function compileFlows(document: LangiumDocument, documents: LangiumDocument[], baton: BatonServices): FlowInfo[] {
  let definition: WorkflowDefinition;
  try {
    definition = baton.ir.WorkflowBuilder.build(documents);
  } catch (error) {
    trace('flows-not-compiled', `${document.uri.path}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  return flowInfos(definition, document.uri.fsPath);
}

/**
 * The {@link FlowInfo}s of a compiled definition: the flows declared in `entryFile` (an absolute path) first,
 * then the imported ones, each in declaration order. IR ranges (1-based, `file` a path) become LSP ranges
 * (0-based) with a `file://` URI.
 */
export function flowInfos(definition: WorkflowDefinition, entryFile: string): FlowInfo[] {
  const flows = Object.values(definition.flows).map((flow): FlowInfo => {
    const nodes: FlowNodeInfo[] = [];
    collectNodes(flow.body, nodes);
    return {
      name: flow.name,
      uri: fileUri(flow.range.file),
      local: flow.range.file === entryFile,
      range: lspRange(flow.range),
      inputs: flow.inputs.map((input) => ({
        name: input.name,
        type: describeType(input.type),
        typeRef: input.type,
        ...(input.default !== undefined ? { default: defaultText(input.default), defaultValue: input.default } : {}),
      })),
      nodes,
    };
  });
  return [...flows.filter((f) => f.local), ...flows.filter((f) => !f.local)];
}

function collectNodes(statements: Statement[], into: FlowNodeInfo[]): void {
  forEachStatement(statements, (s) => into.push({ id: s.id, kind: s.kind, uri: fileUri(s.range.file), range: lspRange(s.range) }));
}

function lspRange(range: SourceRange): LspRange {
  return {
    start: { line: range.start.line - 1, character: range.start.column - 1 },
    end: { line: range.end.line - 1, character: range.end.column - 1 },
  };
}

/** An IR `file` is the document's file-system path. */
function fileUri(file: string): string {
  return URI.file(file).toString();
}

/** A default as typed at a prompt: strings raw, everything else as JSON. */
function defaultText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
