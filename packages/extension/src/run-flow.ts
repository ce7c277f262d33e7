import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import type { RunEvent } from '@baton/protocol';

/**
 * `Baton: Run Flow`: saves the active `.flow` file and runs it with stub agents in a child process
 * (`node out/cli.mjs run <file> [--flow name] --json`; the flow's CodeLens passes `[uri, flowName]`), so a
 * long or crashing run never blocks the editor. Each JSON
 * event line is shown in the output channel as it arrives; the closing status goes to a notification.
 */
export function registerRunCommands(context: vscode.ExtensionContext, output: vscode.OutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('baton.flow.run', async (uri?: vscode.Uri, flow?: string): Promise<RunOutcome | undefined> => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || !target.fsPath.endsWith('.flow')) {
        void vscode.window.showWarningMessage('Open a .flow file to run it.');
        return undefined;
      }
      const document = await vscode.workspace.openTextDocument(target);
      if (document.isDirty) await document.save();
      const cli = vscode.Uri.joinPath(context.extensionUri, 'out', 'cli.mjs').fsPath;
      const folder = vscode.workspace.getWorkspaceFolder(target)?.uri.fsPath;
      output.show(true);
      output.appendLine(`▶ ${vscode.workspace.asRelativePath(target)}`);
      const child = spawn(process.execPath, [cli, 'run', target.fsPath, ...(typeof flow === 'string' ? ['--flow', flow] : []), '--json'], { cwd: folder, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' } });
      let buffer = '';
      let last: RunEvent | undefined;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (!line.trim()) continue;
          try {
            last = JSON.parse(line) as RunEvent;
            const text = describe(last);
            if (text !== undefined) output.appendLine(text);
          } catch {
            output.appendLine(line);
          }
        }
      });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        output.append(chunk);
      });
      return new Promise<RunOutcome>((resolve) => {
        child.on('close', (code) => {
          if (last?.type === 'run.succeeded') void vscode.window.showInformationMessage(`Baton: ${last.runId} succeeded.`);
          else if (last?.type === 'run.waiting') void vscode.window.showInformationMessage(`Baton: ${last.runId} is waiting.`);
          else void vscode.window.showErrorMessage(`Baton: the run did not succeed${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ` (exit ${code})`}.`);
          resolve({ runId: last?.runId, last, exitCode: code ?? -1 });
        });
      });
    }),
  );
}

/** What `baton.flow.run` resolves with when the run's process ends: its last event and exit code (130: interrupted). */
export interface RunOutcome {
  runId: string | undefined;
  last: RunEvent | undefined;
  exitCode: number;
}

/** One line per event worth reading in the output channel (undefined: not shown, e.g. `step.started`). */
export function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `run ${event.runId} · ${event.flow}`;
    case 'step.finished':
      return `  ${event.status === 'succeeded' ? '✓' : event.status === 'failed' ? '✗' : '–'} ${event.step} (${event.agent}) ${event.durationMs} ms${event.attempts > 1 ? ` · ${event.attempts} attempts` : ''}${event.error ? ` — ${event.error.code}: ${event.error.message}` : ''}`;
    case 'branch.taken':
      return `  ↳ ${event.label}`;
    case 'approval.requested':
      return `  … approval "${event.task}"${event.assignee ? ` for ${event.assignee}` : ''} — baton approve ${event.runId} ${event.task}`;
    case 'compensation.finished':
      return `  ↺ undid ${event.step}`;
    case 'run.succeeded':
      return `✓ succeeded · outputs ${JSON.stringify(event.outputs)}`;
    case 'run.failed':
      return `✗ failed · ${event.error.code}: ${event.error.message}`;
    case 'run.waiting':
      return `… waiting (${event.waitingOn.map((w) => w.kind).join(', ')}) — continue with baton approve, send or resume ${event.runId}`;
    default:
      return undefined;
  }
}
