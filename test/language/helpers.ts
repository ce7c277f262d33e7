import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import type { Diagnostic } from 'vscode-languageserver-types';
import { createBatonServices } from '../../language/src/index.js';

/** Services over an in-memory file system (no imports resolve unless parsed too). */
export const services = createBatonServices(EmptyFileSystem);
const parse = parseHelper(services.Baton);

let counter = 0;

/** Parses and validates `text` as a fresh document. */
export async function checkText(text: string): Promise<{ document: LangiumDocument; diagnostics: Diagnostic[] }> {
  const document = await parse(text, { validation: true, documentUri: `file:///test/doc${counter++}.flow` });
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
 * The one diagnostic with `code` (asserting there is exactly one — no cascades): its 0-based line, the
 * source text its range covers (so a test pins the range precisely) and its message.
 */
export function only(document: LangiumDocument, diagnostics: Diagnostic[], code: string): { line: number; text: string; message: string } {
  const found = diagnostics.filter((d) => d.code === code);
  if (found.length !== 1) throw new Error(`expected exactly one ${code} diagnostic, got ${found.length}: ${found.map((d) => d.message).join(' | ')}`);
  const d = found[0];
  return { line: d.range.start.line, text: document.textDocument.getText(d.range), message: d.message };
}

/** Every diagnostic with `code` as `{ line, text, message }` (see {@link only}), in document order. */
export function all(document: LangiumDocument, diagnostics: Diagnostic[], code: string): { line: number; text: string; message: string }[] {
  return diagnostics
    .filter((d) => d.code === code)
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
    .map((d) => ({ line: d.range.start.line, text: document.textDocument.getText(d.range), message: d.message }));
}
