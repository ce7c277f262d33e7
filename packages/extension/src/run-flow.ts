import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import type { JsonValue } from '@baton/protocol';
import type { BatonRunsApi } from './api.js';
import { RunController } from './run-controller.js';
import type { RunState } from './run-state.js';
import { registerRunFeedback } from './run-feedback.js';
import { RunsTreeProvider, type RunsViewElement } from './runs-view.js';
import { RunsWatch } from './runs-watch.js';
import { isStoreUrl } from './run-env.js';
import { registerStorePassword } from './store-password.js';

/** Scheme of the read-only documents showing an entry's output and error (`baton-run:/<runId>/<key>.json`). */
const ENTRY_SCHEME = 'baton-run';

/**
 * Running flows from the editor, out of the extension host's process (`baton run --json` as a child):
 * - `Baton: Run Flow` (`baton.flow.run`, args `(uri?, flowName?)`): remembered inputs and defaults; asks
 *   only for required inputs without a value;
 * - `Baton: Run Flow with Inputs…` (`baton.flow.runWithInputs`, args `(uri?, flowName?, inputs?)`): a typed
 *   prompt per input (skipped when `inputs` is given);
 * - the Runs view (`baton.runs`) with refresh, cancel, approve / reject, reveal source, show output;
 * - the status bar item, run diagnostics and approval notifications (run-feedback.ts).
 * Events are also written to the "Baton" output channel. @returns the runs API `activate()` exports.
 */
export function registerRunCommands(context: vscode.ExtensionContext, output: vscode.OutputChannel, client: Promise<LanguageClient | undefined>): BatonRunsApi {
  const controller = new RunController(context, output, client);
  const feedback = registerRunFeedback(context, controller);
  const tree = new RunsTreeProvider(controller);
  const view = vscode.window.createTreeView('baton.runs', { treeDataProvider: tree, showCollapseAll: true });
  const runIdOf = (arg: RunsViewElement | string | undefined): string | undefined => (typeof arg === 'string' ? arg : arg?.runId);

  // The Runs view live: `baton runs watch --json` while the view is visible (runs started or decided by anyone —
  // a terminal, a worker on another machine — appear without a refresh); restarted with backoff if it dies.
  const watch = new RunsWatch({
    launch: () => controller.baseLaunch(process.env),
    store: () => controller.storePath(),
    canStart: () => isStoreUrl(controller.storePath()) || existsSync(controller.storePath()),
    onRun: (run) => controller.model.upsertStored(run),
    onMessage: (line) => output.appendLine(`[runs watch] ${line}`),
  });
  const passwordLoaded = controller.loadStorePassword().catch(() => undefined);
  const follow = (): void => {
    if (view.visible) void passwordLoaded.then(() => (view.visible ? watch.start() : undefined));
    else watch.stop();
  };
  registerStorePassword(context, () => controller.storePath(), async () => {
    await controller.loadStorePassword();
    if (watch.active) watch.restart();
  });
  context.subscriptions.push(
    view.onDidChangeVisibility(follow),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('baton.store.path')) return;
      await controller.loadStorePassword();
      if (watch.active) watch.restart();
      await controller.refresh();
    }),
    { dispose: () => watch.stop() },
  );
  follow();

  const entryDocuments = new (class implements vscode.TextDocumentContentProvider {
    provideTextDocumentContent(uri: vscode.Uri): string {
      const [, runId, file] = uri.path.split('/');
      const key = decodeURIComponent(file.replace(/\.json$/, ''));
      const run = controller.model.get(runId);
      const entry = run?.entries?.find((e) => e.key === key);
      if (!run || !entry) return '// this run is no longer in the Runs view\n';
      const { status, attempts, durationMs, output: value, error, decision, by } = entry;
      return `${JSON.stringify({ flow: run.flow, run: run.runId, step: key, status, attempts, durationMs, output: value, error, decision, by }, null, 2)}\n`;
    }
  })();

  context.subscriptions.push(
    view,
    vscode.workspace.registerTextDocumentContentProvider(ENTRY_SCHEME, entryDocuments),
    vscode.commands.registerCommand('baton.flow.run', (uri?: vscode.Uri, flowName?: string) => controller.run(uri, flowName, { ask: 'missing' })),
    vscode.commands.registerCommand('baton.flow.runWithInputs', (uri?: vscode.Uri, flowName?: string, inputs?: Record<string, JsonValue>) =>
      controller.run(uri, flowName, inputs ? { ask: 'none', inputs } : { ask: 'all' }),
    ),
    vscode.commands.registerCommand('baton.runs.refresh', () => controller.refresh()),
    vscode.commands.registerCommand('baton.runs.cancel', (arg?: RunsViewElement | string) => {
      const runId = runIdOf(arg);
      return runId ? controller.cancel(runId) : undefined;
    }),
    vscode.commands.registerCommand('baton.runs.redrive', (arg?: RunsViewElement | string) => {
      const runId = runIdOf(arg);
      return runId ? controller.redrive(runId) : undefined;
    }),
    vscode.commands.registerCommand('baton.runs.approve', (arg?: RunsViewElement) => (arg?.type === 'entry' ? controller.decide(arg.runId, arg.key, true) : undefined)),
    vscode.commands.registerCommand('baton.runs.reject', (arg?: RunsViewElement) => (arg?.type === 'entry' ? controller.decide(arg.runId, arg.key, false) : undefined)),
    // Resolves to what it did, for callers and tests: 'revealed', or why not.
    vscode.commands.registerCommand('baton.runs.revealEntry', async (arg?: RunsViewElement): Promise<'revealed' | 'no such entry' | 'source not found'> => {
      if (arg?.type !== 'entry') return 'no such entry';
      let run: RunState | undefined;
      try {
        run = await controller.withEntries(arg.runId);
      } catch (error) {
        void vscode.window.showErrorMessage(`Baton: could not read run ${arg.runId}: ${(error as Error).message}`);
        return 'no such entry';
      }
      const entry = run?.entries?.find((e) => e.key === arg.key);
      if (!run || !entry) return 'no such entry';
      const node = await controller.nodeOf(run, entry.node);
      if (!node) {
        void vscode.window.showInformationMessage(`Baton: the source of ${entry.key} is not in the workspace any more.`);
        return 'source not found';
      }
      const r = node.range;
      const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
      // In the editor already showing the file, else the first column (not over the graph panel); focus stays in the view.
      const uri = vscode.Uri.parse(node.uri);
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
      const document = visible?.document ?? (await vscode.workspace.openTextDocument(uri));
      const editor = await vscode.window.showTextDocument(document, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection: range, preserveFocus: true });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return 'revealed';
    }),
    vscode.commands.registerCommand('baton.runs.showEntryOutput', async (arg?: RunsViewElement) => {
      if (arg?.type !== 'entry') return;
      const uri = vscode.Uri.from({ scheme: ENTRY_SCHEME, path: `/${arg.runId}/${encodeURIComponent(arg.key)}.json` });
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(document, 'json');
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true });
    }),
  );

  return {
    list: () => controller.model.list(),
    get: (runId) => controller.model.get(runId),
    onDidChange: (listener) => controller.model.onDidChange(listener),
    onDidApplyEvent: (listener) => controller.model.onDidApplyEvent(listener),
    run: (uri, flow, inputs) => controller.run(vscode.Uri.parse(uri), flow, { ask: 'none', inputs }),
    decide: (runId, task, approve) => controller.decide(runId, task, approve),
    cancel: (runId) => controller.cancel(runId),
    refresh: () => controller.refresh(),
    statusBarText: () => feedback.statusBarText(),
    watching: () => watch.following,
    storedRuns: async (flow, file) =>
      (await controller.store.list(50))
        .filter((r) => r.flow === flow && (!file || !r.file || path.resolve(r.file) === path.resolve(file)))
        .map((r) => ({ runId: r.id, status: r.status, startedAt: r.startedAt })),
    storedEvents: async (runId) => (await controller.store.show(runId)).events,
    storedDetail: async (runId) => {
      const { run, events, definition, written } = await controller.store.show(runId);
      return { events, definition, ...(run.file ? { file: run.file } : {}), ...(written ? { written } : {}) };
    },
  };
}
