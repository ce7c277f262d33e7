// Small pieces of the graph panel (graph-panel.ts) that talk to the editor: ranges, the followed editor, the flow at
// the cursor, and saving an exported drawing.
import * as vscode from 'vscode';
import type { ExportResultMessage, LspRange, SourceRange, WebviewToHostMessage } from '@baton/protocol';

/** IR ranges are 1-based with an exclusive end; VS Code's are 0-based. */
export function toRange(range: SourceRange): vscode.Range {
  return new vscode.Range(range.start.line - 1, range.start.column - 1, range.end.line - 1, range.end.column - 1);
}

export const isFlowDocument = (document: vscode.TextDocument): boolean => document.languageId === 'baton' && (document.uri.scheme === 'file' || document.uri.scheme === 'untitled');

export function activeFlowEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor && isFlowDocument(editor.document) ? editor : undefined;
}

/** The flow whose declaration holds `position` (zero-based, both ends included), if any. */
export function flowAt(ranges: { flow: string; range: LspRange }[], position: vscode.Position): string | undefined {
  for (const { flow, range } of ranges) {
    const { start, end } = range;
    if (position.line < start.line || position.line > end.line) continue;
    if (position.line === start.line && position.character < start.character) continue;
    if (position.line === end.line && position.character > end.character) continue;
    return flow;
  }
  return undefined;
}

/**
 * Asks where to save an exported drawing (`folder`: where the dialog starts) and writes it.
 * @returns the `exportResult` answer: `saved` (the path relative to the workspace), `cancelled`, or `error`.
 */
export async function exportDrawing(message: Extract<WebviewToHostMessage, { type: 'export' }>, folder: vscode.Uri | undefined): Promise<ExportResultMessage> {
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${message.flow}.${message.format}`) : undefined,
    filters: message.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
    saveLabel: `Export ${message.format.toUpperCase()}`,
  });
  if (!target) return { type: 'exportResult', requestId: message.requestId, cancelled: true };
  try {
    const bytes = message.format === 'svg' ? Buffer.from(message.data, 'utf8') : Buffer.from(message.data, 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    return { type: 'exportResult', requestId: message.requestId, saved: vscode.workspace.asRelativePath(target) };
  } catch (error) {
    return { type: 'exportResult', requestId: message.requestId, error: (error as Error).message };
  }
}
