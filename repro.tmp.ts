import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileUri, startStdioServer } from './test/language-server/stdio-client.js';
const dir = mkdtempSync(path.join(tmpdir(), 'repro-'));
const server = await startStdioServer({ folder: dir, initializationOptions: { runCommands: true, graphPanel: true } });
const n = Number(process.argv[2] ?? 500);
const text = `flow S {\n  output x: number\n  set output.x = 1${' + 1'.repeat(n)}\n}\n`;
const uri = fileUri(path.join(dir, 'a.flow'));
await server.open(uri, text);
const textDocument = { uri };
const pos = { line: 2, character: 20 };
for (const [m, p] of [['textDocument/documentSymbol', { textDocument }], ['textDocument/hover', { textDocument, position: pos }], ['textDocument/completion', { textDocument, position: pos }], ['textDocument/definition', { textDocument, position: pos }], ['textDocument/formatting', { textDocument, options: { tabSize: 2, insertSpaces: true } }], ['textDocument/semanticTokens/full', { textDocument }], ['textDocument/foldingRange', { textDocument }], ['textDocument/codeAction', { textDocument, range: { start: { line: 0, character: 0 }, end: pos }, context: { diagnostics: [] } }], ['textDocument/codeLens', { textDocument }], ['baton/graph', { uri }], ['baton/flows', { uri }], ['textDocument/references', { textDocument, position: pos, context: { includeDeclaration: true } }], ['textDocument/rename', { textDocument, position: pos, newName: 'y' }]] as const) {
  const t = Date.now();
  try { const r = await Promise.race([server.connection.sendRequest(m, p), new Promise((_, rej) => setTimeout(() => rej(new Error('TIMEOUT')), 20000))]); console.log(m, Date.now() - t, 'ms', JSON.stringify(r)?.slice(0, 100)); } catch (e) { console.log(m, Date.now() - t, 'ms ERROR', (e as Error).message.slice(0, 200)); }
}
console.log('diag', JSON.stringify(server.diagnostics.get(uri))?.slice(0, 300));
console.log('stderr', server.stderr().slice(0, 500));
await server.stop();
