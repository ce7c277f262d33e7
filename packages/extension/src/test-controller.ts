import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import { FlowTestsRequest, type FlowTestInfo, type LspRange } from '@baton/protocol';
import { runCliProcess } from './cli-process.js';
import { outcomesOf, testCommandArgs, type EditorRange, type TestOutcome } from './test-results.js';

/** The `test` blocks of the workspace in VS Code's Test Explorer; returned (as `tests`) by `activate()`. */
export interface BatonTests {
  /** The controller (`baton`): one item per `.flow` file that declares tests, its tests as children. */
  readonly controller: vscode.TestController;
  /**
   * Runs one test through the controller (`baton.test.run`, the "Run test" CodeLens), so its result shows in
   * the Test Explorer and on its line.
   * @returns its outcome, or undefined when the file declares no test of that name.
   */
  runTest(uri: vscode.Uri, name: string): Promise<TestOutcome | undefined>;
  /** Re-reads the tests of one file from the language server (`baton/tests`). */
  refresh(uri: vscode.Uri): Promise<void>;
}

const FLOW_GLOB = '**/*.flow';
const EXCLUDE_GLOB = '**/{node_modules,.git,.baton,out}/**';
/** How long after the last keystroke a file's tests are re-read, ms. */
const TYPING_DEBOUNCE_MS = 300;

/**
 * Registers the Test Explorer for `.flow` tests (the `client` promise: the language server starting in the
 * background; undefined when it failed): items from `workspace.findFiles` and a file watcher, kept
 * up to date as you type through the language server's `baton/tests` request; a Run profile that runs the
 * chosen tests out of process (`node out/cli.mjs test <file> --test <name>… --json`, one process per file),
 * reports passed/failed with durations and puts a failure's message on the failing expectation; cancelling
 * the run kills the process. Also registers `baton.test.run` (`[uri, testName]`).
 */
export function registerTestController(context: vscode.ExtensionContext, client: Promise<LanguageClient | undefined>): BatonTests {
  const controller = vscode.tests.createTestController('baton', 'Baton');
  context.subscriptions.push(controller);
  const cli = vscode.Uri.joinPath(context.extensionUri, 'out', 'cli.mjs').fsPath;
  /** Each test item's outcome from the last run that ran it, by item id (for runTest). */
  const lastOutcome = new Map<string, TestOutcome>();

  const testId = (uri: vscode.Uri, name: string): string => `${uri.toString()}::${name}`;

  async function refresh(uri: vscode.Uri): Promise<void> {
    let tests: FlowTestInfo[] | null;
    try {
      const started = await client;
      if (!started) return; // the server did not start; that was reported when it failed
      tests = await started.sendRequest(FlowTestsRequest, { textDocument: { uri: uri.toString() } });
    } catch {
      return; // the server is restarting or the file vanished; the next change reads it again
    }
    if (!tests || tests.length === 0) {
      controller.items.delete(uri.toString());
      return;
    }
    let file = controller.items.get(uri.toString());
    if (!file) {
      file = controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
      controller.items.add(file);
    }
    file.children.replace(
      tests.map((t) => {
        const item = file.children.get(testId(uri, t.name)) ?? controller.createTestItem(testId(uri, t.name), t.name, uri);
        item.range = toRange(t.range);
        item.description = t.flow || undefined;
        return item;
      }),
    );
  }

  // Discovery runs once at activation (so gutter icons and "Run All Tests" work before the Testing view
  // was ever opened) and again on the view's Refresh.
  let discovered: Promise<void> | undefined;
  async function discover(): Promise<void> {
    const files = await vscode.workspace.findFiles(FLOW_GLOB, EXCLUDE_GLOB);
    await Promise.all(files.map(refresh));
  }
  const ensureDiscovered = (): Promise<void> => (discovered ??= discover());

  controller.resolveHandler = async (item) => {
    if (!item) await ensureDiscovered();
  };
  controller.refreshHandler = async () => {
    controller.items.replace([]);
    discovered = discover();
    await discovered;
  };
  void ensureDiscovered();

  const watcher = vscode.workspace.createFileSystemWatcher(FLOW_GLOB);
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate((uri) => void refresh(uri)),
    watcher.onDidChange((uri) => void refresh(uri)),
    watcher.onDidDelete((uri) => controller.items.delete(uri.toString())),
  );

  const pending = new Map<string, NodeJS.Timeout>();
  context.subscriptions.push(
    vscode.workspace.onDidChangeTextDocument(({ document }) => {
      if (document.languageId !== 'baton' || document.uri.scheme !== 'file') return;
      const key = document.uri.toString();
      clearTimeout(pending.get(key));
      pending.set(key, setTimeout(() => (pending.delete(key), void refresh(document.uri)), TYPING_DEBOUNCE_MS));
    }),
    { dispose: () => pending.forEach((timer) => clearTimeout(timer)) },
  );

  async function runHandler(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const byFile = new Map<string, { uri: vscode.Uri; items: vscode.TestItem[] }>();
    const add = (item: vscode.TestItem): void => {
      if (excluded.has(item.id)) return;
      if (item.parent === undefined) {
        item.children.forEach(add);
        return;
      }
      const uri = item.uri!;
      const group = byFile.get(uri.toString()) ?? { uri, items: [] };
      group.items.push(item);
      byFile.set(uri.toString(), group);
    };
    if (request.include) request.include.forEach(add);
    else {
      await ensureDiscovered();
      controller.items.forEach(add);
    }

    const run = controller.createTestRun(request);
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
    try {
      for (const { uri, items } of byFile.values()) {
        if (token.isCancellationRequested) {
          items.forEach((item) => run.skipped(item));
          continue;
        }
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (open?.isDirty) await open.save();
        items.forEach((item) => run.started(item));
        const names = items.map((item) => item.label);
        const args = testCommandArgs(uri.fsPath, names);
        run.appendOutput(`> baton ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\r\n`);
        const result = await runCliProcess(process.execPath, cli, args, { cwd: vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath, signal: abort.signal });
        if (result.stderr) run.appendOutput(result.stderr.replace(/\r?\n/g, '\r\n'));
        const outcomes = outcomesOf(result, names);
        for (const item of items) {
          const outcome = outcomes.get(item.label)!;
          lastOutcome.set(item.id, outcome);
          report(run, item, uri, outcome);
        }
      }
    } finally {
      cancellation.dispose();
      run.end();
    }
  }

  const profile = controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, runHandler, true);

  async function runTest(uri: vscode.Uri, name: string): Promise<TestOutcome | undefined> {
    let item = controller.items.get(uri.toString())?.children.get(testId(uri, name));
    if (!item) {
      await refresh(uri);
      item = controller.items.get(uri.toString())?.children.get(testId(uri, name));
    }
    if (!item) {
      void vscode.window.showWarningMessage(`Baton: ${vscode.workspace.asRelativePath(uri)} has no test named "${name}".`);
      return undefined;
    }
    const source = new vscode.CancellationTokenSource();
    try {
      await runHandler(new vscode.TestRunRequest([item], undefined, profile), source.token);
    } finally {
      source.dispose();
    }
    return lastOutcome.get(item.id);
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('baton.test.run', async (uri?: vscode.Uri | string, name?: string) => {
      const target = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
      if (!target || !name) {
        void vscode.window.showWarningMessage('Baton: run a test from its "Run test" CodeLens or the Test Explorer.');
        return undefined;
      }
      return runTest(target, name);
    }),
  );

  return { controller, runTest, refresh };
}

function report(run: vscode.TestRun, item: vscode.TestItem, uri: vscode.Uri, outcome: TestOutcome): void {
  switch (outcome.kind) {
    case 'passed':
      run.passed(item, outcome.durationMs);
      return;
    case 'failed': {
      const message = new vscode.TestMessage(outcome.message);
      const range = outcome.location ? fromEditorRange(outcome.location) : item.range;
      if (range) message.location = new vscode.Location(uri, range);
      run.failed(item, message, outcome.durationMs);
      return;
    }
    case 'errored': {
      const message = new vscode.TestMessage(outcome.message);
      if (item.range) message.location = new vscode.Location(uri, item.range);
      run.errored(item, message);
      return;
    }
    case 'cancelled':
      run.skipped(item);
      return;
  }
}

function toRange(r: LspRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function fromEditorRange(r: EditorRange): vscode.Range {
  return new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);
}
