// The graph panel's written-flow mode (docs/extension.md, "Flows written by agents"): a flow an agent wrote in a run
// and its policy accepted, drawn from the definition stored with the run (`baton runs show --json`'s `written`), the
// run's events over it, and its text shown read-only in an editor when a node is clicked.
import * as vscode from 'vscode';
import type { WrittenFlowView } from '@baton/protocol';
import { findWritten } from './written-flows.js';

/** The URI scheme of a written flow's read-only text (`baton-written:/…/Custom.generated.flow?run=…&definition=…`). */
export const WRITTEN_SCHEME = 'baton-written';

/** A written flow the panel draws: the view, the run it was written in, and where the text opens. */
export interface WrittenDrawing {
  runId: string;
  view: WrittenFlowView;
  /** The read-only document of its text; its `fsPath` is the graph's `range.file`, so the cursor highlights nodes. */
  uri: vscode.Uri;
  /** Where the flow picker goes back to: the run's file and flow. */
  back: { uri: vscode.Uri; flow: string } | undefined;
  /** The graph's node ids: the run's events naming other nodes are not drawn. */
  nodes: ReadonlySet<string>;
}

/** The read-only document of a written flow drawn in run `runId`. */
export function writtenUri(runId: string, view: WrittenFlowView): vscode.Uri {
  return vscode.Uri.from({ scheme: WRITTEN_SCHEME, path: view.file.replace(/\\/g, '/'), query: `run=${encodeURIComponent(runId)}&definition=${encodeURIComponent(view.definition)}` });
}

/**
 * The texts of the written flows drawn so far, by URI, as read-only documents (a `TextDocumentContentProvider`): the
 * language server does not read them (its selector is `file` and `untitled`), the TextMate grammar colours them.
 */
export class WrittenTexts implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

  /** Keeps `view`'s text under `uri` (a text that is not stored: a line saying so). */
  remember(uri: vscode.Uri, view: WrittenFlowView): void {
    this.texts.set(uri.toString(), view.source ?? `// the text of ${view.flow} (${view.definition}) is not stored with the run\n`);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '// this written flow is no longer drawn: show it again from the Runs view\n';
  }
}

/**
 * The written flow `which` names among `views` ({@link findWritten}); without `which`, the only one, or the one the
 * user picks (undefined: none, or the pick was dismissed).
 */
export async function chooseWritten(views: readonly WrittenFlowView[], which: string | undefined): Promise<WrittenFlowView | undefined> {
  if (which !== undefined) return findWritten(views, which);
  if (views.length <= 1) return views[0];
  const picked = await vscode.window.showQuickPick(
    views.map((v) => ({ label: v.flow, description: `written by step ${v.step}`, detail: v.definition, view: v })),
    { title: 'Flows written in this run', placeHolder: 'Draw which written flow?' },
  );
  return picked?.view;
}
