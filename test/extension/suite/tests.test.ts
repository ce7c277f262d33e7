/**
 * Flow tests as a person meets them in a real VS Code: the Test Explorer lists the `test` blocks of the
 * workspace (and follows edits), runs them out of process with results on the failing line, the CodeLens
 * offers Run / Run with inputs… / Run test, and the walkthrough's first step creates a runnable hello.flow.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BatonApi } from '../../../packages/extension/src/api.js';
import { extensionApi, openFlow, setText, waitFor, workspaceFile } from './util.js';

async function tests(): Promise<NonNullable<BatonApi['tests']>> {
  const api = await extensionApi<BatonApi>();
  assert.ok(api.tests, 'the extension exposes its test controller');
  return api.tests;
}

/** The labels of a file item's children, once the controller lists that file. */
async function listedTests(uri: vscode.Uri, what: string, expected?: string[]): Promise<string[]> {
  const { controller } = await tests();
  return waitFor(() => {
    const file = controller.items.get(uri.toString());
    if (!file) return undefined;
    const labels: string[] = [];
    file.children.forEach((child) => labels.push(child.label));
    return !expected || JSON.stringify(labels) === JSON.stringify(expected) ? labels : undefined;
  }, what);
}

describe('flow tests in the Test Explorer', () => {
  it('lists every .flow file that declares tests, with its tests as children at their lines', async () => {
    const { controller } = await tests();
    await controller.resolveHandler?.(undefined);
    const dispatcher = workspaceFile('dispatcher.flow');
    const labels = await listedTests(dispatcher, 'dispatcher.flow in the Test Explorer');
    assert.deepEqual(labels, [
      'a security audit is dispatched to the audit template',
      "an audit over the request's token budget is refused before it starts",
      'critical audit findings wait for the CISO',
      'a project gets a plan',
      'simple research takes one pass',
      'a request no template fits gets a flow written for it, which calls a template',
      "a written flow that does not check is repaired from the checker's diagnostics",
      'a written flow that never checks falls back to the custom template',
    ]);
    const item = controller.items.get(dispatcher.toString())!.children.get(`${dispatcher.toString()}::a project gets a plan`)!;
    assert.equal(item.range?.start.line, 229, 'the test starts on line 230');
    assert.equal(item.description, 'Dispatcher');
    for (const file of ['outreach.flow', 'incident-saga.flow', 'process-orchestrator.flow', 'business-triggers.flow', 'tests-failing.flow']) {
      await listedTests(workspaceFile(file), file);
    }
  });

  it('runs an example test out of process and it passes', async () => {
    const outcome = await vscode.commands.executeCommand<{ kind: string; durationMs?: number }>('baton.test.run', workspaceFile('dispatcher.flow'), 'a project gets a plan');
    assert.equal(outcome?.kind, 'passed');
    assert.equal(typeof outcome?.durationMs, 'number');
  });

  it('a failing test fails with its message on the failing expectation', async () => {
    const { runTest } = await tests();
    const uri = workspaceFile('tests-failing.flow');
    const failed = await runTest(uri, 'n is two');
    assert.deepEqual(failed, {
      kind: 'failed',
      durationMs: failed?.kind === 'failed' ? failed.durationMs : -1,
      message: 'expected output.n == 2 (output.n is 1); the run succeeded',
      // line 20, `output.n == 2` after `status == "succeeded" && ` → zero-based (19, 35)–(19, 48)
      location: { startLine: 19, startCharacter: 35, endLine: 19, endCharacter: 48 },
    });
    assert.equal((await runTest(uri, 'n is one'))?.kind, 'passed');
  });

  it('follows edits: a test typed into an open file appears, a removed one goes', async () => {
    const editor = await openFlow('tests-failing.flow');
    const uri = editor.document.uri;
    const original = editor.document.getText();
    await listedTests(uri, 'tests-failing.flow listed', ['n is one', 'n is two']);
    await setText(editor, original.replace('test "n is two"', 'test "n is still one" {\n  flow: Count\n  expect: output.n == 1\n}\n\ntest "n is two"'));
    await listedTests(uri, 'the typed test to appear', ['n is one', 'n is still one', 'n is two']);
    await setText(editor, original.replace(/\ntest "n is two" \{[^}]*\}\n/, '\n'));
    await listedTests(uri, 'the removed test to go', ['n is one']);
    await setText(editor, original);
    await editor.document.save();
    await listedTests(uri, 'the original tests back', ['n is one', 'n is two']);
  });
});

describe('CodeLens over flows and tests', () => {
  it('offers Run, Run with inputs… and Graph on each flow and Run test on each test, with a Uri and the name', async () => {
    const editor = await openFlow('tests-failing.flow');
    const uri = editor.document.uri;
    const lenses = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return found.length > 0 ? found : undefined;
    }, 'CodeLenses');
    const pinned = lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command, String(l.command?.arguments?.[0]), l.command?.arguments?.[1]]);
    assert.deepEqual(pinned, [
      [6, 'Run', 'baton.flow.run', uri.toString(), 'Count'],
      [6, 'Run with inputs…', 'baton.flow.runWithInputs', uri.toString(), 'Count'],
      [6, 'Graph', 'baton.graph.open', uri.toString(), 'Count'],
      [12, 'Run test', 'baton.test.run', uri.toString(), 'n is one'],
      [17, 'Run test', 'baton.test.run', uri.toString(), 'n is two'],
    ]);
    assert.ok(lenses[0].command?.arguments?.[0] instanceof vscode.Uri, 'the command gets a vscode.Uri, as from a menu');
  });

  it('the Run lens runs that flow', async () => {
    const uri = workspaceFile('tests-failing.flow');
    const outcome = await vscode.commands.executeCommand<{ exitCode: number; last?: { type: string; outputs?: unknown } }>('baton.flow.run', uri, 'Count');
    assert.equal(outcome?.exitCode, 0);
    assert.deepEqual([outcome?.last?.type, outcome?.last?.outputs], ['run.succeeded', { n: 1 }]);
  });

  it('the Graph lens opens the graph panel on that flow', async () => {
    const uri = workspaceFile('tests-failing.flow');
    const api = await extensionApi<{ graph: { snapshot(): { flow?: string; nodes: string[] } | undefined } }>();
    await vscode.commands.executeCommand('baton.graph.open', uri, 'Count');
    const shown = await waitFor(() => {
      const snap = api.graph.snapshot();
      return snap?.flow === 'Count' && snap.nodes.length > 0 ? snap : undefined;
    }, 'the graph panel showing Count');
    assert.ok(shown.nodes.includes('Count/start'), `the flow's start node is drawn (${shown.nodes.join(', ')})`);
  });
});

describe('the "Get started with Baton" walkthrough', () => {
  it('step 1 writes hello.flow into the workspace folder and opens it; its tests are listed and pass', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('baton.walkthrough.createFlow');
    try {
      assert.equal(uri?.toString(), workspaceFile('hello.flow').toString());
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
      assert.match(vscode.window.activeTextEditor.document.getText(), /^flow Hello \{$/m);
      await listedTests(uri, 'hello.flow in the Test Explorer', ['the greeting comes from the agent', 'a stubbed agent can say anything']);
      const { runTest } = await tests();
      assert.equal((await runTest(uri, 'a stubbed agent can say anything'))?.kind, 'passed');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      if (uri) await vscode.workspace.fs.delete(uri);
    }
  });
});
