/**
 * Run by bench/cases/editor-first-use.mjs inside a fresh code-server window (scripts/real-editor.mjs --suite-dir
 * bench/editor --files first-use --empty-workspace): the extension is not active. Times what a person waits for the
 * first time they use Baton in a window:
 * - `firstDiagnosticsMs`: a small `.flow` file (examples/outreach.flow with one unknown agent) opened → its
 *   diagnostics in the editor. Includes the extension's activation (`onLanguage:baton`), the language server's
 *   start and its first build; `activatedMs` is when the extension was active (polled), from the same start.
 * - `graphMs`: the error fixed (its diagnostics gone), then `baton.graph.open` ("Open Graph to the Side") → the
 *   page's `rendered` answer of a drawn graph (its `drawnAt`, the page's clock = this machine's), i.e. the panel
 *   created, its page and script loaded, `baton/graph` answered, elkjs loaded, layout and drawing done.
 *   `graphPhases` is the page's own account of that first drawing (`RenderedMessage.phases`, ms from the command).
 * Writes `{activatedMs, firstDiagnosticsMs, graphMs, graphPhases?}` (ms) as JSON to BATON_BENCH_FIRST_USE_OUT.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Session } from 'node:inspector';

interface Rendered {
  nodes: number;
  drawnAt?: number;
  phases?: Record<string, number>;
}
interface Api {
  graph: { onDidRender(listener: (r: Rendered) => void): { dispose(): void }; snapshot(): { nodes: string[] } | undefined };
}

/** Polls `probe` every 2 ms until it is true; throws after 30 s. */
async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('first use in a fresh window (bench)', () => {
  it('times a small file’s first diagnostics and the first graph', async () => {
    const out = process.env.BATON_BENCH_FIRST_USE_OUT;
    if (!out) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const extension = vscode.extensions.getExtension<Api>('baton.baton');
    assert.ok(extension, 'the extension is installed');
    assert.equal(extension.isActive, false, 'a fresh window with an empty folder has not activated the extension');
    const root = process.env.BATON_BENCH_ROOT ?? '';
    const example = readFileSync(path.join(root, 'examples', 'outreach.flow'), 'utf8');
    const broken = example.replace('step send: Mailer', 'step send: Mailerr');
    assert.notEqual(broken, example);
    const uri = vscode.Uri.joinPath(folder.uri, 'outreach.flow');
    writeFileSync(uri.fsPath, example);
    // a run in the workspace's store: the panel's run picker lists the flow's stored runs (read by a CLI process)
    execFileSync(process.execPath, [path.join(root, 'out', 'cli.mjs'), 'run', uri.fsPath], { cwd: folder.uri.fsPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: 'ignore' });
    writeFileSync(uri.fsPath, broken);

    const profileDir = process.env.BATON_BENCH_PROFILE_DIR;
    const session = profileDir ? new Session() : undefined;
    const post = (method: string, params?: object): Promise<unknown> => new Promise((resolve, reject) => session!.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    }
    const t0 = performance.now();
    let activatedMs: number | undefined;
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await until(() => {
      if (activatedMs === undefined && extension.isActive) activatedMs = performance.now() - t0;
      return vscode.languages.getDiagnostics(uri).some((d) => d.message.includes('Mailerr'));
    }, 'the first diagnostics');
    const firstDiagnosticsMs = performance.now() - t0;
    if (session) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(path.join(profileDir!, 'extension-host-open.cpuprofile'), JSON.stringify(profile));
      await post('Profiler.start');
    }

    // fixed: the panel draws a graph only of a file without errors
    const at = editor.document.getText().indexOf('Mailerr');
    assert.ok(await editor.edit((e) => e.delete(new vscode.Range(editor.document.positionAt(at + 6), editor.document.positionAt(at + 7)))));
    await until(() => vscode.languages.getDiagnostics(uri).length === 0, 'the diagnostics cleared');

    const api = extension.exports;
    let rendered: Rendered | undefined;
    const sub = api.graph.onDidRender((r) => {
      if (r.nodes > 0) rendered ??= r;
    });
    const t1 = Date.now();
    await vscode.commands.executeCommand('baton.graph.open', uri);
    let graphAnsweredMs: number | undefined;
    await until(() => {
      if (graphAnsweredMs === undefined && (api.graph.snapshot()?.nodes.length ?? 0) > 0) graphAnsweredMs = Date.now() - t1;
      return rendered !== undefined;
    }, 'the first graph');
    sub.dispose();
    if (session) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(path.join(profileDir!, 'extension-host-graph.cpuprofile'), JSON.stringify(profile));
      session.disconnect();
    }
    const graphMs = (rendered!.drawnAt ?? Date.now()) - t1;
    const graphPhases = rendered!.phases && Object.fromEntries(Object.entries(rendered!.phases).map(([k, v]) => [k, v - t1]));
    writeFileSync(out, JSON.stringify({ activatedMs, firstDiagnosticsMs, graphMs, graphAnsweredMs, graphPhases }));
  });
});
