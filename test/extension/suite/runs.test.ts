import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { EXTENSION_ID, extensionApi, openFlow, waitFor, workspaceFile } from './util';

/** The slice of the extension's API (packages/extension/src/api.ts) these tests use. */
interface RunEntryView {
  key: string;
  kind: string;
  status: string;
  attempts: number;
  decision?: string;
  error?: { code: string; message: string };
}
interface RunView {
  runId: string;
  flow: string;
  file?: string;
  status: string;
  outputs: Record<string, unknown>;
  entries?: RunEntryView[];
}
interface Outcome {
  runId?: string;
  exitCode: number;
  problem?: string;
  last?: { type: string };
  run?: RunView;
}
interface Api {
  runs: {
    list(): RunView[];
    get(runId: string): RunView | undefined;
    decide(runId: string, task: string, approve: boolean): Promise<Outcome | undefined>;
    cancel(runId: string): Promise<void>;
    refresh(): Promise<void>;
    statusBarText(): string | undefined;
    watching(): boolean;
  };
}

const runDiagnostics = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'baton run');

describe('Runs from the editor', () => {
  let api: Api;
  before(async () => {
    api = await extensionApi<Api>();
  });

  it('Run Flow with Inputs… with inputs given as an argument runs the flow with them and lists it in the Runs view', async () => {
    const uri = workspaceFile('runs/inputs.flow');
    await openFlow('runs/inputs.flow');
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.runWithInputs', uri, 'Welcome', { name: 'Ann', tier: 'GOLD', seats: 3 });
    assert.ok(outcome, 'the command resolves with the outcome');
    assert.equal(outcome.exitCode, 0);
    const run = api.runs.get(outcome.runId!);
    assert.ok(run, 'the run is in the Runs view');
    assert.deepEqual([run.flow, run.status, run.outputs], ['Welcome', 'succeeded', { greeting: 'hello Ann/GOLD/3/false/[]' }]);
    assert.deepEqual(run.entries!.map((e) => [e.key, e.status]), [['greet', 'succeeded']]);
  });

  it('Run Flow remembers the inputs last used for the flow (no prompt for them)', async () => {
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.run', workspaceFile('runs/inputs.flow'), 'Welcome');
    assert.ok(outcome);
    assert.deepEqual(api.runs.get(outcome.runId!)!.outputs, { greeting: 'hello Ann/GOLD/3/false/[]' });
  });

  it('a failed step shows its attempts in the Runs view and its error as a "baton run" diagnostic on the step', async () => {
    const uri = workspaceFile('runs/failing.flow');
    await openFlow('runs/failing.flow');
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.run', uri);
    assert.ok(outcome);
    assert.equal(outcome.exitCode, 1);
    const run = api.runs.get(outcome.runId!)!;
    assert.equal(run.status, 'failed');
    const charge = run.entries!.find((e) => e.key === 'charge')!;
    assert.deepEqual([charge.status, charge.attempts, charge.error?.code], ['failed', 2, 'STUB_ERROR']);
    const [diagnostic] = await waitFor(() => runDiagnostics(uri).length > 0 && runDiagnostics(uri), 'the run diagnostic');
    assert.equal(diagnostic.code, 'STUB_ERROR');
    assert.equal(diagnostic.message, 'step charge failed: card declined');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual([diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.line], [16, 2, 19]);
  });

  it('the run diagnostic goes away with the next run of the file', async () => {
    const uri = workspaceFile('runs/failing.flow');
    await vscode.commands.executeCommand<Outcome>('baton.flow.run', uri);
    // the new run failed again: exactly one diagnostic, the new run's
    const diagnostics = await waitFor(() => runDiagnostics(uri).length > 0 && runDiagnostics(uri), 'the new run diagnostic');
    assert.equal(diagnostics.length, 1);
  });

  it('a waiting approval is approved from the editor and the continued run streams into the same run', async () => {
    const uri = workspaceFile('runs/approval.flow');
    await openFlow('runs/approval.flow');
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.run', uri);
    assert.ok(outcome);
    assert.equal(outcome.last?.type, 'run.waiting');
    const runId = outcome.runId!;
    assert.deepEqual(api.runs.get(runId)!.entries!.map((e) => [e.key, e.kind, e.status]), [['draft', 'step', 'succeeded'], ['sign_off', 'approval', 'waiting']]);
    const decided = await vscode.commands.executeCommand<Outcome>('baton.runs.approve', { type: 'entry', runId, key: 'sign_off' });
    assert.ok(decided);
    assert.equal(decided.exitCode, 0);
    const run = api.runs.get(runId)!;
    assert.deepEqual([run.status, run.outputs], ['succeeded', { sent: true }]);
    assert.deepEqual(run.entries!.find((e) => e.key === 'sign_off')!.decision, 'approved');
  });

  it('cancelling a running run interrupts it (stored as interrupted); the status bar shows it while it runs', async () => {
    const uri = workspaceFile('runs/slow.flow');
    const done = vscode.commands.executeCommand<Outcome>('baton.flow.run', uri);
    const text = await waitFor(() => api.runs.statusBarText(), 'the status bar item');
    assert.match(text, /^\$\(loading~spin\) Slow · \d\/\d steps?/);
    const run = await waitFor(() => api.runs.list().find((r) => r.flow === 'Slow' && r.status === 'running' && r.entries?.some((e) => e.key === 'first' && e.status === 'succeeded')), 'the slow run past its first step');
    await vscode.commands.executeCommand('baton.runs.cancel', { type: 'run', runId: run.runId });
    const outcome = await done;
    assert.equal(outcome.exitCode, 130);
    assert.equal(api.runs.get(run.runId)!.status, 'interrupted');
    assert.equal(api.runs.statusBarText(), undefined);
    await api.runs.refresh();
    assert.equal(api.runs.get(run.runId)!.status, 'interrupted', 'the store says so too');
  });

  it('a run that cannot start (checker errors) asks for no inputs and resolves with exit 2 and no run', async () => {
    const uri = workspaceFile('editor-broken.flow');
    await openFlow('editor-broken.flow');
    await waitFor(() => vscode.languages.getDiagnostics(uri).some((d) => d.severity === vscode.DiagnosticSeverity.Error), 'the checker errors');
    // no input prompt for a file that cannot run: the command resolves on its own
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.run', uri);
    assert.ok(outcome);
    assert.equal(outcome.exitCode, 2);
    assert.equal(outcome.runId, undefined);
  });

  it('selecting a step reveals its source range', async () => {
    const failed = api.runs.list().find((r) => r.flow === 'Checkout')!;
    const outcome = await vscode.commands.executeCommand('baton.runs.revealEntry', { type: 'entry', runId: failed.runId, key: 'charge' });
    assert.equal(outcome, 'revealed', `run ${failed.runId} (${failed.file}): ${JSON.stringify(failed.entries?.map((e) => e.key))}`);
    const editor = await waitFor(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.path.endsWith('runs/failing.flow')), 'the step\'s file in an editor');
    assert.deepEqual([editor.selection.start.line, editor.selection.start.character, editor.selection.end.line], [16, 2, 19]);
  });

  it('a run made in a terminal appears after a refresh; selecting its step loads the stored run and reveals the source', async () => {
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'out', 'cli.mjs');
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const run = await promisify(execFile)(process.execPath, [cli, 'run', 'runs/failing.flow', '--json', '--store', path.join('.baton', 'runs.db')], { cwd: folder, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }).catch(
      (error: { stdout: string }) => error, // the flow fails by design: exit 1
    );
    const runId = (JSON.parse(run.stdout.trim().split('\n')[0]) as { runId: string }).runId;
    await api.runs.refresh();
    assert.equal(api.runs.get(runId)?.status, 'failed', 'the stored run is listed');
    assert.equal(api.runs.get(runId)?.entries, undefined, 'listed without its steps until they are needed');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const outcome = await vscode.commands.executeCommand('baton.runs.revealEntry', { type: 'entry', runId, key: 'charge' });
    assert.equal(outcome, 'revealed');
    const editor = await waitFor(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.path.endsWith('runs/failing.flow')), 'the step\'s file in an editor');
    assert.deepEqual([editor.selection.start.line, editor.selection.end.line], [16, 19]);
    assert.ok(api.runs.get(runId)!.entries!.some((e) => e.key === 'charge' && e.status === 'failed'), 'the stored steps are in the model now');
  });

  it('the Runs view follows the store live: a run another process starts, and its approval by a third, appear without a refresh', async () => {
    await vscode.commands.executeCommand('baton.runs.focus');
    await waitFor(() => api.runs.watching(), 'the Runs view following the store (baton runs watch has listed the runs)');
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'out', 'cli.mjs');
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const store = path.join('.baton', 'runs.db');
    const started = await promisify(execFile)(process.execPath, [cli, 'run', 'runs/approval.flow', '--json', '--store', store], { cwd: folder, env });
    const runId = (JSON.parse(started.stdout.trim().split('\n')[0]) as { runId: string }).runId;
    await waitFor(() => api.runs.get(runId)?.status === 'waiting', 'the run another process started, waiting, in the Runs view');
    // decided by yet another process: only the live feed can tell the view (nothing here refreshes it)
    await promisify(execFile)(process.execPath, [cli, 'approve', runId, 'sign_off', '--store', store], { cwd: folder, env });
    await waitFor(() => api.runs.get(runId)?.status === 'succeeded', 'the approved run succeeded in the Runs view');
    assert.deepEqual(api.runs.get(runId)!.outputs, { sent: true });
    assert.equal(api.runs.list()[0].runId, runId, 'the newest run is first');
  });

  it('real mode: a flow whose model needs a key does not start without one, and says which variable to set; stub-only agents still run', async () => {
    assert.ok(!process.env.OPENAI_API_KEY, 'this test needs an extension host without OPENAI_API_KEY');
    const config = vscode.workspace.getConfiguration('baton');
    await config.update('agents.mode', 'real', vscode.ConfigurationTarget.Workspace);
    // even with a key from elsewhere nothing may leave the machine: a closed local port
    await config.update('providers.openai.baseUrl', 'http://127.0.0.1:9/v1', vscode.ConfigurationTarget.Workspace);
    try {
      const blocked = await vscode.commands.executeCommand<Outcome>('baton.flow.run', workspaceFile('runs/real.flow'));
      assert.ok(blocked);
      assert.equal(blocked.exitCode, 2);
      assert.equal(blocked.runId, undefined, 'no run was stored');
      assert.equal(blocked.problem, 'agent Writer (openai/gpt-4o-mini) needs an API key: set the environment variable OPENAI_API_KEY (in VS Code: "Baton: Set API Key")');
      const stubOnly = await vscode.commands.executeCommand<Outcome>('baton.flow.run', workspaceFile('runs/inputs.flow'), 'Welcome');
      assert.ok(stubOnly);
      assert.equal(stubOnly.exitCode, 0, 'agents without a model answer from their stub in real mode');
    } finally {
      await config.update('agents.mode', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('providers.openai.baseUrl', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Redrive Failed Run continues a failed run from the step that failed it, in the Runs view', async () => {
    const failed = await vscode.commands.executeCommand<Outcome>('baton.flow.run', workspaceFile('runs/flaky.flow'));
    assert.ok(failed?.runId);
    assert.equal(api.runs.get(failed.runId)!.status, 'failed');
    const outcome = await vscode.commands.executeCommand<Outcome>('baton.runs.redrive', { type: 'run', runId: failed.runId });
    assert.ok(outcome);
    assert.equal(outcome.exitCode, 0);
    const run = api.runs.get(failed.runId)!;
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.entries!.filter((e) => e.key === 'load').at(-1)!.status, 'succeeded');
    const again = await vscode.commands.executeCommand<Outcome>('baton.runs.redrive', { type: 'run', runId: failed.runId });
    assert.equal(again?.exitCode, 2);
    assert.match(again?.problem ?? '', /succeeded; only a failed run can be redriven/);
  });
});
