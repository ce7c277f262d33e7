import * as vscode from 'vscode';
import type { RunController } from './run-controller.js';
import { elapsedMs, formatDuration } from '@baton/protocol';
import type { RunEntry, RunEntryStatus, RunState } from './run-state.js';

/** An element of the Runs view: a run, or one entry (step, approval, wait, undo) of a run. */
export type RunsViewElement = { type: 'run'; runId: string } | { type: 'entry'; runId: string; key: string };

/**
 * The Runs view (`baton.runs`): runs newest first (flow, status icon, start time, duration) → their steps
 * (status icon, agent, duration, "2 attempts"). Stored runs load their steps when expanded. Selecting an
 * entry reveals its source; its tooltip shows its output or error.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsViewElement> {
  private readonly changed = new vscode.EventEmitter<RunsViewElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private loadedStored = false;

  constructor(private readonly controller: RunController) {
    controller.model.onDidChange(() => this.changed.fire(undefined));
  }

  async getChildren(element?: RunsViewElement): Promise<RunsViewElement[]> {
    const model = this.controller.model;
    if (!element) {
      if (!this.loadedStored) {
        this.loadedStored = true;
        await this.controller.refresh();
      }
      return model.list().map((r) => ({ type: 'run', runId: r.runId }));
    }
    if (element.type === 'entry') return [];
    let run;
    try {
      run = await this.controller.withEntries(element.runId);
    } catch (error) {
      void vscode.window.showErrorMessage(`Baton: could not read run ${element.runId}: ${(error as Error).message}`);
      return [];
    }
    return (run?.entries ?? []).map((e) => ({ type: 'entry', runId: element.runId, key: e.key }));
  }

  getTreeItem(element: RunsViewElement): vscode.TreeItem {
    const run = this.controller.model.get(element.runId);
    if (!run) return new vscode.TreeItem('(gone)');
    if (element.type === 'run') return runItem(run, this.controller.model.processOf(run.runId) !== undefined);
    const entry = run.entries?.find((e) => e.key === element.key);
    if (!entry) return new vscode.TreeItem(element.key);
    return entryItem(run, entry);
  }

  getParent(element: RunsViewElement): RunsViewElement | undefined {
    return element.type === 'entry' ? { type: 'run', runId: element.runId } : undefined;
  }
}

function runItem(run: RunState, live: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(run.flow, live || run.status === 'waiting' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `run:${run.runId}`;
  const started = new Date(run.startedAt);
  const duration = run.finishedAt ? ` · ${formatDuration(elapsedMs(run.startedAt, run.finishedAt))}` : '';
  item.description = `${run.status} · ${started.toLocaleString()}${duration}`;
  item.iconPath = statusIcon(run.status === 'cancelled' ? 'skipped' : run.status);
  item.contextValue = `baton.run.${run.status}${live ? '.live' : ''}`;
  const tip = new vscode.MarkdownString(`**${run.flow}** · \`${run.runId}\`\n\n${run.status}${run.file ? ` · ${vscode.workspace.asRelativePath(run.file)}` : ''}`);
  if (Object.keys(run.inputs).length) tip.appendMarkdown(`\n\ninputs:`).appendCodeblock(JSON.stringify(run.inputs, null, 2), 'json');
  if (Object.keys(run.outputs).length) tip.appendMarkdown(`\n\noutputs:`).appendCodeblock(JSON.stringify(run.outputs, null, 2), 'json');
  if (run.error) tip.appendMarkdown(`\n\n**${run.error.code}**: `).appendText(run.error.message);
  item.tooltip = tip;
  return item;
}

function entryItem(run: RunState, entry: RunEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(entry.kind === 'approval' ? `approval ${entry.key}` : (entry.label ?? entry.key), vscode.TreeItemCollapsibleState.None);
  item.id = `entry:${run.runId}:${entry.key}`;
  const parts: string[] = [];
  if (entry.agent) parts.push(entry.agent);
  if (entry.kind === 'approval') parts.push(entry.decision ? `${entry.decision}${entry.by ? ` by ${entry.by}` : ''}` : `waiting${entry.assignee ? ` for ${entry.assignee}` : ''}`);
  else if (entry.status === 'waiting') parts.push('waiting');
  if (entry.durationMs !== undefined) parts.push(formatDuration(entry.durationMs));
  if (entry.attempts > 1) parts.push(`${entry.attempts} attempts`);
  if (entry.error && (entry.status === 'failed' || ((entry.kind === 'tool' || entry.kind === 'flow') && entry.status === 'cancelled'))) parts.push(entry.error.code);
  item.description = parts.join(' · ');
  item.iconPath = statusIcon(entry.status);
  // an accepted written flow (`flow Custom`): its graph opens in the graph panel (Show Written Flow's Graph)
  item.contextValue = entry.kind === 'approval' && entry.status === 'waiting' ? 'baton.entry.approval.waiting' : entry.kind === 'flow' && entry.status === 'succeeded' ? 'baton.entry.flow.accepted' : `baton.entry.${entry.kind}`;
  const tip = new vscode.MarkdownString(`**${entry.label ?? entry.key}** · ${entry.status}`);
  if (entry.prompt) tip.appendMarkdown('\n\n').appendText(entry.prompt);
  if (entry.output !== undefined) tip.appendMarkdown('\n\noutput:').appendCodeblock(JSON.stringify(entry.output, null, 2), 'json');
  if (entry.error) tip.appendMarkdown(`\n\n**${entry.error.code}**: `).appendText(entry.error.message);
  item.tooltip = tip;
  item.command = { command: 'baton.runs.revealEntry', title: 'Show Source', arguments: [{ type: 'entry', runId: run.runId, key: entry.key }] };
  return item;
}

/** The ThemeIcon of a status: a spinner while running, check, error, skipped, clock for waiting, history for queued. */
export function statusIcon(status: RunEntryStatus | RunState['status'] | 'cancelled'): vscode.ThemeIcon {
  switch (status) {
    case 'running':
    case 'retrying':
      return new vscode.ThemeIcon('loading~spin');
    case 'succeeded':
    case 'approved':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'failed':
    case 'rejected':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'skipped':
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped'));
    case 'waiting':
      return new vscode.ThemeIcon('watch', new vscode.ThemeColor('testing.iconQueued'));
    case 'interrupted':
      return new vscode.ThemeIcon('debug-pause');
    case 'queued':
      return new vscode.ThemeIcon('history');
  }
}
