import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { EXTENSION_ID, extensionApi, waitFor, workspaceFile } from './util';

// The editor on a shared PostgreSQL run store: `baton.store.path` set to a `postgres://` URL — a database of this
// suite's own on the server scripts/services.mjs starts (BATON_EDITOR_PG_URL, no password in it). The extension host
// has no PGPASSWORD: the password reaches the runs only through "Baton: Set Store Password" (SecretStorage), whose
// password box scripts/real-editor.mjs fills in as a person would. BATON_EDITOR_PG_PASSWORD is for this test's own
// look into the store; the extension never reads it.

interface RunView {
  runId: string;
  flow: string;
  status: string;
  outputs: Record<string, unknown>;
}
interface Outcome {
  runId?: string;
  exitCode: number;
  problem?: string;
}
interface Api {
  runs: {
    list(): RunView[];
    get(runId: string): RunView | undefined;
    refresh(): Promise<void>;
    watching(): boolean;
  };
}

describe('Runs from the editor on a PostgreSQL store (baton.store.path = postgres://…, password in SecretStorage)', () => {
  let api: Api;
  let url: string;
  let password: string;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('baton');
  /** The CLI the extension ships, run as another process on the machine would (a terminal, a colleague). */
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string }> =>
    promisify(execFile)(process.execPath, [path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'out', 'cli.mjs'), ...args], {
      cwd: vscode.workspace.workspaceFolders![0].uri.fsPath,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...env },
    });

  before(async () => {
    const given = process.env.BATON_EDITOR_PG_URL;
    const secret = process.env.BATON_EDITOR_PG_PASSWORD;
    assert.ok(given && secret, 'BATON_EDITOR_PG_URL is not set: run the suite through scripts/real-editor.mjs, which gives it a PostgreSQL database (scripts/services.mjs)');
    [url, password] = [given, secret];
    assert.equal(process.env.PGPASSWORD, undefined, 'the extension host has no PGPASSWORD: the password can only come from SecretStorage');
    api = await extensionApi<Api>();
    await config().update('store.path', url, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await config().update('store.path', undefined, vscode.ConfigurationTarget.Workspace);
    await api?.runs.refresh();
  });

  it('Set Store Password keeps the password; a flow run from the editor is stored in PostgreSQL and the Runs view lists it, and a run another process starts there appears live', async () => {
    // the password box: scripts/real-editor.mjs types the password into it
    assert.equal(await vscode.commands.executeCommand('baton.store.setPassword'), 'stored');

    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.runWithInputs', workspaceFile('runs/inputs.flow'), 'Welcome', { name: 'Pat', tier: 'SILVER', seats: 2 });
    assert.ok(outcome?.runId, `the run started: ${outcome?.problem}`);
    assert.equal(outcome.exitCode, 0, outcome.problem);
    const runId = outcome.runId;

    // the run is in this PostgreSQL database, and not in the workspace's file store
    const stored = JSON.parse((await cli(['runs', 'show', runId, '--json', '--store', url], { PGPASSWORD: password })).stdout) as { run: { status: string; outputs: Record<string, unknown> } };
    assert.deepEqual([stored.run.status, stored.run.outputs], ['succeeded', { greeting: 'hello Pat/SILVER/2/false/[]' }]);
    await assert.rejects(cli(['runs', 'show', runId, '--store', path.join('.baton', 'runs.db')]), /no run with id/);

    // the Runs view reads the PostgreSQL store: after a refresh it lists exactly that store's runs
    await api.runs.refresh();
    assert.deepEqual(api.runs.list().map((r) => [r.runId, r.flow, r.status]), [[runId, 'Welcome', 'succeeded']]);

    // shared runs live: a run another process starts in the store appears without a refresh (LISTEN/NOTIFY)
    await vscode.commands.executeCommand('baton.runs.focus');
    await waitFor(() => api.runs.watching(), 'the Runs view following the PostgreSQL store (baton runs watch)');
    const started = await cli(['run', 'runs/approval.flow', '--json', '--store', url], { PGPASSWORD: password });
    const other = (JSON.parse(started.stdout.trim().split('\n')[0]) as { runId: string }).runId;
    await waitFor(() => api.runs.get(other)?.status === 'waiting', 'the run another process started, waiting, in the Runs view');
    assert.equal(api.runs.list()[0].runId, other, 'the newest run is first');
  });
});
