/**
 * A flow an agent wrote during a run, drawn by the graph panel in a real VS Code (docs/extension.md, "Flows written by
 * agents"): the run of test/extension/fixtures/written.flow writes CustomResearch; the Runs view entry's command and
 * the `run plan` node's toggle draw its stored graph with the run's events; a node opens its text read-only.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi, look, openFlow, waitFor } from './util';

/** The slice of the extension's API (packages/extension/src/api.ts) these tests use. */
interface Snapshot {
  flow?: string;
  flows: string[];
  nodes: string[];
  runId?: string;
  runEventTypes: string[];
  runDefinition?: string;
  lastRendered?: { nodes: number };
  written?: { runId: string; step: string; flow: string; definition: string };
}
interface Api {
  graph: {
    open(uri?: string, flow?: string): Promise<void>;
    snapshot(): Snapshot | undefined;
    reveal(id: string): Promise<boolean>;
    showStoredRun(runId: string | undefined): Promise<boolean>;
    toggleSubflow(id: string): void;
  };
  runs: { get(runId: string): { entries?: { key: string; kind: string; label?: string; status: string }[] } | undefined; watching(): boolean };
}

describe('the graph panel: a flow written by an agent in a run', () => {
  let api: Api;

  before(async () => {
    api = await extensionApi<Api>();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('draws the written flow from the Runs view entry, coloured by the run; a node opens its text; the run plan toggle opens it too', async () => {
    // the Runs view open: it follows the store once the run made it (its watch has then listed the stored runs)
    await vscode.commands.executeCommand('workbench.view.extension.baton');
    const editor = await openFlow('written.flow');
    const outcome = await vscode.commands.executeCommand<{ runId?: string; exitCode: number }>('baton.flow.run', editor.document.uri, 'WrittenDispatch');
    assert.equal(outcome?.exitCode, 0);
    const runId = outcome.runId!;
    // the Runs view lists the accepted answer after its step: its entry's command draws the flow
    const entry = api.runs.get(runId)?.entries?.find((e) => e.kind === 'flow');
    assert.deepEqual([entry?.label, entry?.status], ['flow CustomResearch', 'succeeded']);
    const shown = await vscode.commands.executeCommand<boolean>('baton.runs.showWrittenFlow', { type: 'entry', runId, key: entry!.key });
    assert.equal(shown, true);
    const drawn = await waitFor(() => {
      const s = api.graph.snapshot();
      return s?.written && s.lastRendered?.nodes === s.nodes.length && s.nodes.includes('CustomResearch/again') ? s : undefined;
    }, 'the panel to draw the written flow');
    assert.deepEqual([drawn.written!.runId, drawn.written!.step, drawn.written!.flow], [runId, 'plan', 'CustomResearch']);
    assert.match(drawn.written!.definition, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(drawn.flows, ['WrittenDispatch', 'CustomResearch'], "the picker offers the run's flow to go back");
    assert.ok(!drawn.nodes.includes('WrittenDispatch/plan'), "the run's own steps are not drawn");
    assert.equal(drawn.runId, runId);
    assert.match(drawn.runDefinition ?? '', /^written by step plan · [0-9a-f]{8}$/);
    assert.ok(drawn.runEventTypes.includes('step.finished') && drawn.runEventTypes[0] === 'run.started', drawn.runEventTypes.join());
    // as a person sees it: the Runs view's entry, the written flow drawn, a step's details on hover
    await waitFor(() => api.runs.watching(), 'the Runs view to follow the store');
    const seen = await look('written-flow', { hover: 'CustomResearch/again' });
    if (seen) {
      assert.ok(seen.rows.some((r) => /^flow CustomResearch plan · attempt 1/.test(r)), JSON.stringify(seen.rows));
      assert.match(seen.tooltip ?? '', /again/);
    }
    // a node opens the written text, read-only, its lines selected
    assert.equal(await api.graph.reveal('CustomResearch/again'), true);
    const opened = await waitFor(() => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'baton-written' ? e : undefined;
    }, 'the written text in an editor');
    assert.match(opened.document.lineAt(opened.selection.start.line).text, /step again: Researcher/);
    assert.match(opened.document.getText(), /^import "\.\/written\.flow"\nflow CustomResearch \{/);
    await look('written-flow-text');
    // back on the run's flow, with the run drawn: the `run plan` step's toggle draws the flow plan wrote
    await api.graph.open(editor.document.uri.toString(), 'WrittenDispatch');
    await waitFor(() => api.graph.snapshot()?.flow === 'WrittenDispatch' && !api.graph.snapshot()?.written, 'the panel back on WrittenDispatch');
    assert.equal(await api.graph.showStoredRun(runId), true);
    api.graph.toggleSubflow('WrittenDispatch/custom');
    await waitFor(() => api.graph.snapshot()?.written?.flow === 'CustomResearch', 'the toggle to draw the written flow');
  });
});
