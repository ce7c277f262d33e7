import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { SymbolKind, type Diagnostic, type DocumentSymbol, type Hover } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@baton/protocol';
import { createBatonServices } from '../../language/src/index.js';

/** Services over an in-memory file system (no imports resolve unless parsed too). */
export const services = createBatonServices(EmptyFileSystem);
const parse = parseHelper(services.Baton);

let counter = 0;

/** Parses and validates `text` as a fresh document (at `uri` when given, e.g. beside a baton.config.json). */
export async function checkText(text: string, uri?: string): Promise<{ document: LangiumDocument; diagnostics: Diagnostic[] }> {
  const document = await parse(text, { validation: true, documentUri: uri ?? `file:///test/doc${counter++}.flow` });
  return { document, diagnostics: document.diagnostics ?? [] };
}

/** Agents most checker tests need. */
export const AGENTS = `agent Intake {
  model: "openai/gpt-4o-mini"
  output: { process_type: "APPROVAL" | "INCIDENT", severity: "LOW" | "HIGH" | "CRITICAL", amount?: number, systems: string[] }
  stub: { process_type: "INCIDENT", severity: "LOW", systems: ["crm"] }
}
agent Notifier { instructions: "Send a message." stub: "sent" }
`;

/**
 * One diagnostic as tests pin it: its code, its exact range as `[startLine, startCharacter, endLine,
 * endCharacter]` (0-based, end exclusive, as in the editor), the source text that range covers (so a
 * reader sees what is underlined) and its message.
 */
export interface Problem {
  code: string;
  range: [number, number, number, number];
  text: string;
  message: string;
}

/** The diagnostics of `document` with `severity` (1 error, 2 warning) as {@link Problem}s, in document order. */
export function problems(document: LangiumDocument, diagnostics: Diagnostic[], severity: 1 | 2): Problem[] {
  return diagnostics
    .filter((d) => d.severity === severity)
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
    .map((d) => ({
      code: String(d.code),
      range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
      text: document.textDocument.getText(d.range),
      message: d.message,
    }));
}

/**
 * Checks `text` and returns every error and every warning. Tests compare the whole list, so a problem is
 * pinned to exactly one diagnostic: no cascade of other errors can hide behind it.
 */
export async function check(text: string): Promise<{ errors: Problem[]; warnings: Problem[] }> {
  const { document, diagnostics } = await checkText(text);
  return { errors: problems(document, diagnostics, 1), warnings: problems(document, diagnostics, 2) };
}

/**
 * Builds every `step`-th prefix of `text` as one document that each prefix replaces (as an editor sees a
 * file being typed), on services of its own so the shared workspace does not grow, and calls `visit`.
 */
export async function forEachPrefix(text: string, step: number, visit: (document: LangiumDocument, length: number, own: ReturnType<typeof createBatonServices>) => Promise<void>): Promise<void> {
  const own = createBatonServices(EmptyFileSystem);
  const documents = own.shared.workspace.LangiumDocuments;
  const uri = URI.parse('file:///prefix/main.flow');
  for (let i = 0; i <= text.length; i += step) {
    if (documents.hasDocument(uri)) documents.deleteDocument(uri);
    const document = own.shared.workspace.LangiumDocumentFactory.fromString(text.slice(0, i), uri);
    documents.addDocument(document);
    await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
    await visit(document, i, own);
  }
}

/** A checker problem as `check` reports it. */
export function p(code: string, range: Problem['range'], text: string, message: string): Problem {
  return { code, range, text, message };
}

/** The IR of `text`, which must check without errors. */
export async function build(text: string): Promise<WorkflowDefinition> {
  const { document, diagnostics } = await checkText(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1).map((d) => d.message), []);
  return services.Baton.ir.WorkflowBuilder.build([document]);
}

/** `text` as the formatter leaves it. */
export async function format(text: string): Promise<string> {
  const { document } = await checkText(text);
  const edits = await services.Baton.lsp.Formatter!.formatDocument(document, { textDocument: { uri: document.uri.toString() }, options: { tabSize: 2, insertSpaces: true } });
  return TextDocument.applyEdits(TextDocument.create('file:///x.flow', 'baton', 1, text), edits);
}

/** The hover text at `<|>` in `textWithCursor`. */
export async function hoverAt(textWithCursor: string): Promise<string | undefined> {
  const offset = textWithCursor.indexOf('<|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text);
  const hover = (await services.Baton.lsp.HoverProvider!.getHoverContent(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) })) as Hover | undefined;
  return (hover?.contents as { value: string } | undefined)?.value;
}

/** The completion labels at `<|>` in `textWithCursor`. */
export async function completeAt(textWithCursor: string): Promise<string[]> {
  const offset = textWithCursor.indexOf('<|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text);
  const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) });
  return (list?.items ?? []).map((i) => i.label);
}

/** The document symbols of `text`, one line each (`name (detail)`), children indented. */
export async function outline(text: string): Promise<string[]> {
  const { document } = await checkText(text);
  const symbols = await services.Baton.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: { uri: document.uri.toString() } });
  const lines = (list: DocumentSymbol[], indent: string): string[] => list.flatMap((s) => [`${indent}${s.name}${s.kind === SymbolKind.Namespace ? '' : ` (${s.detail ?? ''})`}`, ...lines(s.children ?? [], `${indent}  `)]);
  return lines(symbols as DocumentSymbol[], '');
}
