import * as vscode from 'vscode';
import type { RunController } from './run-controller.js';
import { approvalChoice, stepCounts, waitingApprovals, type RunState } from './run-state.js';

/**
 * What a run shows outside the Runs view: a status bar item while a run is active, a failed step's error
 * as a diagnostic on the step until the next run of the file, and a notification for each approval a run
 * waits for.
 */
export function registerRunFeedback(context: vscode.ExtensionContext, controller: RunController): { statusBarText(): string | undefined } {
  const model = controller.model;

  // Status bar: spinner + flow + steps finished/known; click → the Runs view.
  const item = vscode.window.createStatusBarItem('baton.run', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Baton run';
  item.command = 'baton.runs.focus';
  const updateStatus = (): void => {
    const active = model.active();
    if (active.length === 0) {
      item.hide();
      return;
    }
    const [run] = active;
    const { finished, total } = stepCounts(run);
    item.text = `$(loading~spin) ${run.flow} · ${finished}/${total} step${total === 1 ? '' : 's'}${active.length > 1 ? ` (+${active.length - 1})` : ''}`;
    item.tooltip = `Baton: ${active.map((r) => r.flow).join(', ')} running — click to open the Runs view`;
    item.show();
  };

  // Diagnostics: per run file, the documents holding its failed steps' diagnostics.
  const diagnostics = vscode.languages.createDiagnosticCollection('baton-run');
  const byRunFile = new Map<string, Set<string>>();
  const clearFor = (file: string): void => {
    for (const uri of byRunFile.get(file) ?? []) diagnostics.delete(vscode.Uri.parse(uri));
    byRunFile.delete(file);
  };
  const addFailure = async (run: RunState, node: string, code: string, message: string, step: string): Promise<void> => {
    const info = await controller.nodeOf(run, node);
    if (!info || !run.file) return;
    const uri = vscode.Uri.parse(info.uri);
    const r = info.range;
    const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    const diagnostic = new vscode.Diagnostic(range, `step ${step} failed: ${message}`, vscode.DiagnosticSeverity.Error);
    diagnostic.source = 'baton run';
    diagnostic.code = code;
    diagnostics.set(uri, [...(diagnostics.get(uri) ?? []), diagnostic]);
    const files = byRunFile.get(run.file) ?? new Set<string>();
    files.add(uri.toString());
    byRunFile.set(run.file, files);
  };

  // Approvals: one notification per waiting approval of a run started or continued here.
  const notified = new Set<string>();
  const notify = (run: RunState): void => {
    for (const approval of waitingApprovals(run)) {
      const key = `${run.runId}/${approval.key}`;
      if (notified.has(key)) continue;
      notified.add(key);
      const text = `Baton: ${run.flow} is waiting for approval "${approval.key}"${approval.assignee ? ` (${approval.assignee})` : ''}${approval.prompt ? `: ${approval.prompt}` : ''}`;
      void vscode.window.showInformationMessage(text, 'Approve', 'Reject').then(async (choice) => {
        if (!choice) return;
        // decided meanwhile (Runs view, another notification, `baton approve`): say so instead of deciding again
        let verdict = approvalChoice(controller.model.get(run.runId), run.runId, approval.key);
        if ('decide' in verdict) verdict = approvalChoice(await controller.latest(run.runId), run.runId, approval.key);
        if ('decide' in verdict) void controller.decide(run.runId, approval.key, choice === 'Approve');
        else void vscode.window.showInformationMessage(verdict.message);
      });
    }
  };

  context.subscriptions.push(
    item,
    diagnostics,
    model.onDidChange(updateStatus),
    model.onDidApplyEvent((run, event) => {
      if (event.type === 'run.started' && run.file) clearFor(run.file);
      else if (event.type === 'step.finished' && event.status === 'failed' && event.error) void addFailure(run, event.node, event.error.code, event.error.message, event.step);
      else if (event.type === 'run.waiting') notify(run);
    }),
  );
  return { statusBarText: () => (model.active().length > 0 ? item.text : undefined) };
}
