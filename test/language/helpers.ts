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

/** The diagnostics with one code, as `{line, character, endCharacter, message}` (0-based lines). */
export function withCode(diagnostics: Diagnostic[], code: string): { line: number; character: number; text?: string; message: string }[] {
  return diagnostics
    .filter((d) => d.code === code)
    .map((d) => ({ line: d.range.start.line, character: d.range.start.character, message: d.message }));
}

/** Agents most checker tests need. */
export const AGENTS = `agent Intake {
  model: "openai/gpt-4o-mini"
  output: { process_type: "APPROVAL" | "INCIDENT", severity: "LOW" | "HIGH" | "CRITICAL", amount?: number, systems: string[] }
  stub: { process_type: "INCIDENT", severity: "LOW", systems: ["crm"] }
}
agent Notifier { instructions: "Send a message." stub: "sent" }
`;
