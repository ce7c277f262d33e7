/**
 * The graph panel in a real VS Code: `Baton: Open Graph to the Side` opens the webview beside the editor, the
 * page lays the flow out and answers `rendered`; a node's reveal selects its source; edits update the graph,
 * a syntax error keeps the last good one; the cursor highlights its node; run events reach the panel.
 * (Clicking a node with the mouse is checked in the UI part: scripts/real-editor.mjs --ui.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi, openFlow, setText, waitFor } from './util';

/** The slice of the extension's API (packages/extension/src/api.ts) these tests use. */
interface Rendered {
  requestId: number;
  nodes: number;
  layoutMs: number;
  totalMs: number;
  error?: string;
}
interface Snapshot {
  uri?: string;
  flow?: string;
  flows: string[];
  nodes: string[];
  error?: string;
  highlighted?: string;
  ready: boolean;
  lastRendered?: Rendered;
  runId?: string;
  runEvents: number;
  runEventTypes: string[];
  runDefinition?: string;
  history: string[];
  expanded: string[];
}
interface Api {
  graph: {
    open(uri?: string, flow?: string): Promise<void>;
    snapshot(): Snapshot | undefined;
    reveal(id: string): Promise<boolean>;
    showRunEvent(event: unknown): void;
    onDidRender(listener: (r: Rendered) => void): { dispose(): void };
    showStoredRun(runId: string | undefined): Promise<boolean>;
    toggleSubflow(id: string): void;
  };
}

/** Resolves with the next `rendered` answer after `action` runs. */
async function nextRender(api: Api, action: () => unknown, what: string): Promise<Rendered> {
  let resolve!: (r: Rendered) => void;
  const rendered = new Promise<Rendered>((r) => (resolve = r));
  const subscription = api.graph.onDidRender(resolve);
  try {
    await action();
    return await Promise.race([rendered, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 30_000))]);
  } finally {
    subscription.dispose();
  }
}

describe('the graph panel in VS Code', () => {
  let api: Api;

  before(async () => {
    api = await extensionApi<Api>();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens beside the editor with Baton: Open Graph to the Side and draws the flow laid out in the page', async () => {
    const editor = await openFlow('outreach.flow');
    const rendered = await nextRender(api, () => vscode.commands.executeCommand('baton.graph.open', editor.document.uri), 'the first graph');
    const snapshot = api.graph.snapshot();
    assert.ok(snapshot, 'the panel is open');
    assert.equal(snapshot.flow, 'Outreach');
    assert.deepEqual(snapshot.flows, ['Outreach']);
    assert.ok(snapshot.nodes.includes('Outreach/research'), JSON.stringify(snapshot.nodes));
    assert.equal(rendered.nodes, snapshot.nodes.length, 'the page drew every node');
    assert.equal(rendered.error, undefined);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview);
    assert.equal(tab?.label, 'Graph: outreach.flow');
  });

  it('reveals and selects a node’s source range when the node is clicked', async () => {
    assert.equal(await api.graph.reveal('Outreach/message'), true);
    const editor = await waitFor(() => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.path.endsWith('/outreach.flow') && e.selection.start.line === 64 ? e : undefined;
    }, 'the editor to select step message');
    assert.equal(editor.document.getText(editor.selection).split('\n')[0], 'step message: Copywriter {');
  });

  it('highlights the node at the cursor', async () => {
    const editor = await openFlow('outreach.flow');
    editor.selection = new vscode.Selection(60, 10, 60, 10); // inside `step contact: …`
    await waitFor(() => api.graph.snapshot()?.highlighted === 'Outreach/contact', 'Outreach/contact to be highlighted');
  });

  it('follows edits and keeps the last good graph on a syntax error', async () => {
    const editor = await openFlow('outreach.flow');
    const original = editor.document.getText();
    try {
      const added = original.replace('  step message: Copywriter {', '  step note: Copywriter { prompt: "note" }\n  step message: Copywriter {');
      // (how fast an edit is drawn is measured by bench/editor/graph-edit.test.ts, not asserted here)
      await nextRender(api, () => setText(editor, added), 'the graph after adding a step');
      assert.ok(api.graph.snapshot()?.nodes.includes('Outreach/note'), 'the new step is drawn');
      const broken = await nextRender(api, () => setText(editor, added.replace('step note: Copywriter { prompt: "note" }', 'step note: Copywriter { prompt: "note" ')), 'the update with a syntax error');
      assert.match(broken.error ?? '', /^line \d+: /);
      const snapshot = api.graph.snapshot()!;
      assert.match(snapshot.error ?? '', /^line \d+: /);
      assert.ok(snapshot.nodes.includes('Outreach/note'), 'the last good graph is kept');
    } finally {
      // Revert rather than save: a save makes the server rebuild the workspace, cancelling other tests' requests.
      // (the runner turns the browser's auto-save off: a broken text saved meanwhile would break the later tests' runs)
      assert.ok(editor.document.isDirty, 'the edits are unsaved (files.autoSave is off)');
      await vscode.window.showTextDocument(editor.document);
      await nextRender(api, () => vscode.commands.executeCommand('workbench.action.files.revert'), 'the graph after the revert');
      assert.equal(editor.document.getText(), original);
      await waitFor(() => !api.graph.snapshot()?.nodes.includes('Outreach/note') && api.graph.snapshot()?.error === undefined, 'the reverted graph');
    }
  });

  it('takes run events of the drawn flow and ignores other flows’ runs', async () => {
    const time = new Date().toISOString();
    api.graph.showRunEvent({ type: 'run.started', runId: 'other-run', seq: 1, time, flow: 'SomethingElse', inputs: {} });
    assert.equal(api.graph.snapshot()?.runId, undefined);
    api.graph.showRunEvent({ type: 'run.started', runId: 'run-graph-1', seq: 1, time, flow: 'Outreach', inputs: {} });
    api.graph.showRunEvent({ type: 'step.started', runId: 'run-graph-1', seq: 2, time, step: 'research', node: 'Outreach/research', agent: 'ProspectResearcher', target: 'agent' });
    assert.equal(api.graph.snapshot()?.runId, 'run-graph-1');
  });

  it('draws a run started from the editor (Run Flow forwards its events to the panel)', async () => {
    const editor = await openFlow('outreach.flow');
    await waitFor(() => api.graph.snapshot()?.flow === 'Outreach', 'the panel to show Outreach');
    const outcome = await vscode.commands.executeCommand<{ runId?: string; exitCode: number }>('baton.flow.run', editor.document.uri);
    assert.equal(outcome?.exitCode, 0);
    assert.ok(outcome?.runId);
    assert.equal(api.graph.snapshot()?.runId, outcome.runId);
  });

  it('lists the flow’s stored runs (history mode) and draws a picked one from its stored events', async () => {
    const editor = await openFlow('outreach.flow');
    await waitFor(() => api.graph.snapshot()?.flow === 'Outreach', 'the panel to show Outreach');
    const first = await vscode.commands.executeCommand<{ runId?: string }>('baton.flow.run', editor.document.uri);
    const second = await vscode.commands.executeCommand<{ runId?: string }>('baton.flow.run', editor.document.uri);
    assert.ok(first?.runId && second?.runId);
    const history = await waitFor(() => {
      const listed = api.graph.snapshot()?.history ?? [];
      return listed.includes(first.runId!) && listed.includes(second.runId!) ? listed : undefined;
    }, 'both runs in the run picker');
    assert.ok(history.indexOf(second.runId!) < history.indexOf(first.runId!), 'newest first');
    assert.equal(await api.graph.showStoredRun(first.runId), true);
    const shown = api.graph.snapshot()!;
    assert.equal(shown.runId, first.runId, 'the picked run is drawn');
    assert.ok(shown.runEvents >= 8, `its stored events are replayed (${shown.runEvents})`);
    assert.match(shown.runDefinition ?? '', /^definition [0-9a-f]{8}$/, 'the title names the definition the run executes');
    assert.equal(await api.graph.showStoredRun(undefined), true);
    assert.equal(api.graph.snapshot()?.runId, undefined, '"No run" clears the overlay');
  });

  it('expands a sub-flow step in place with its toggle and collapses it again', async () => {
    const editor = await openFlow('process-orchestrator.flow');
    await api.graph.open(editor.document.uri.toString(), 'ProcessOrchestrator');
    await waitFor(() => api.graph.snapshot()?.flow === 'ProcessOrchestrator' && api.graph.snapshot()!.nodes.includes('ProcessOrchestrator/incident'), 'the panel to show ProcessOrchestrator');
    const inner = 'ProcessOrchestrator/incident>IncidentRouting/page';
    assert.equal(api.graph.snapshot()!.nodes.includes(inner), false);
    api.graph.toggleSubflow('ProcessOrchestrator/incident');
    // (a render of an earlier request may land first: wait for the graph itself)
    await waitFor(() => api.graph.snapshot()!.nodes.includes(inner), 'the called flow’s steps drawn inside the step');
    await waitFor(() => api.graph.snapshot()!.lastRendered?.nodes === api.graph.snapshot()!.nodes.length, 'the page to draw the expanded graph');
    assert.deepEqual(api.graph.snapshot()!.expanded, ['ProcessOrchestrator/incident']);
    assert.equal(await api.graph.reveal(inner), true, 'an inner step reveals its line in the sub-flow');
    await waitFor(() => vscode.window.activeTextEditor?.document.lineAt(vscode.window.activeTextEditor.selection.start.line).text.includes('step page:'), 'the sub-flow’s page step selected');
    api.graph.toggleSubflow('ProcessOrchestrator/incident');
    await waitFor(() => !api.graph.snapshot()!.nodes.includes(inner), 'the sub-flow closed again');
    assert.deepEqual(api.graph.snapshot()!.expanded, []);
  });

  it('draws the flow the cursor is in (Open Graph to the Side, then moving the cursor), and turns to the flow a run runs', async () => {
    const editor = await openFlow('graph-two-flows.flow');
    const uri = editor.document.uri.toString();
    editor.selection = new vscode.Selection(14, 4, 14, 4); // `step draft:` in Second
    await vscode.commands.executeCommand('baton.graph.open');
    await waitFor(() => api.graph.snapshot()?.uri === uri && api.graph.snapshot()?.flow === 'Second' && api.graph.snapshot()!.nodes.includes('Second/draft'), 'the panel to draw Second, the flow at the cursor');
    editor.selection = new vscode.Selection(8, 4, 8, 4); // `step write:` in First
    await waitFor(() => api.graph.snapshot()?.flow === 'First' && api.graph.snapshot()!.nodes.includes('First/write'), 'the panel to follow the cursor into First');
    // a run of Second, not on screen: the panel turns to it and draws it
    const outcome = await vscode.commands.executeCommand<{ runId?: string; exitCode: number; last?: { type: string } }>('baton.flow.run', editor.document.uri, 'Second');
    assert.equal(outcome?.exitCode, 0);
    assert.equal(outcome?.last?.type, 'run.waiting');
    const snapshot = api.graph.snapshot()!;
    assert.equal(snapshot.flow, 'Second');
    assert.equal(snapshot.runId, outcome.runId);
    assert.deepEqual(snapshot.runEventTypes.slice(0, 2), ['run.started', 'step.started']);
    await waitFor(() => api.graph.snapshot()!.nodes.includes('Second/sign') && api.graph.snapshot()!.lastRendered?.nodes === api.graph.snapshot()!.nodes.length, 'the page to draw Second');
  });

  it('shows the approval decided after Approve: the decision reaches the graph with the continued run', async () => {
    const runId = api.graph.snapshot()?.runId;
    assert.ok(runId, 'the run of Second from the test before is drawn');
    assert.equal(api.graph.snapshot()!.runEventTypes.at(-1), 'run.waiting');
    const decided = await vscode.commands.executeCommand<{ exitCode: number }>('baton.runs.approve', { type: 'entry', runId, key: 'sign' });
    assert.equal(decided?.exitCode, 0);
    const types = api.graph.snapshot()!.runEventTypes;
    const waiting = types.lastIndexOf('run.waiting');
    assert.deepEqual(types.slice(waiting + 1, waiting + 3), ['approval.decided', 'run.resumed'], JSON.stringify(types));
    assert.equal(types.at(-1), 'run.succeeded');
    assert.equal(api.graph.snapshot()!.runId, runId);
  });

  it('says the file declares no flow for a file of agents only', async () => {
    const editor = await openFlow('graph-agents-only.flow');
    await waitFor(() => api.graph.snapshot()?.uri === editor.document.uri.toString() && api.graph.snapshot()?.error, 'the panel to follow graph-agents-only.flow');
    assert.equal(api.graph.snapshot()?.error, 'the file declares no flow');
    assert.deepEqual(api.graph.snapshot()?.nodes, []);
  });
});
