/**
 * An agent with tools, run from the editor (test/extension/fixtures/runs/tools.flow: a lookup, then a refund that
 * finance approves before it runs): the Runs view lists each tool call after its step, and the approval of a call;
 * the graph panel's step details list the tool loop while the run waits and after it ends. Under
 * scripts/real-editor.mjs the drawn window is looked at too (`look`: the Runs view's rows, the hovered node's
 * details, out/real-editor/tools-*.png).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi, look, openFlow, waitFor, workspaceFile } from './util';

/** The slice of the extension's API (packages/extension/src/api.ts) this test uses. */
interface Entry {
  key: string;
  kind: string;
  label?: string;
  agent?: string;
  status: string;
  prompt?: string;
  output?: unknown;
}
interface Api {
  runs: { get(runId: string): { status: string; outputs: Record<string, unknown>; entries?: Entry[] } | undefined };
  graph: {
    snapshot(): { flow?: string; nodes: string[]; runId?: string; runEventTypes: string[]; lastRendered?: { nodes: number } } | undefined;
    showStoredRun(runId: string | undefined): Promise<boolean>;
  };
}
interface Outcome {
  runId?: string;
  exitCode: number;
  last?: { type: string };
}

describe('tool calls in the editor', () => {
  let api: Api;
  before(async () => {
    api = await extensionApi<Api>();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Runs view lists a run\'s tool calls and the approval of a call with its arguments; the graph\'s step details show the tool loop', async function () {
    // two runs, a graph panel and two looks through Chromium: minutes on a loaded shared machine
    this.timeout(240_000);
    const uri = workspaceFile('runs/tools.flow');
    await openFlow('runs/tools.flow');
    await vscode.commands.executeCommand('baton.graph.open', uri, 'Refund');
    await waitFor(() => {
      const s = api.graph.snapshot();
      return s?.flow === 'Refund' && s.nodes.includes('Refund/answer') && s.lastRendered?.nodes === s.nodes.length;
    }, 'the graph panel to draw Refund', 120_000); // run alone (--files tools), this is the language server's start-up too
    await vscode.commands.executeCommand('baton.runs.focus');

    const outcome = await vscode.commands.executeCommand<Outcome>('baton.flow.run', uri, 'Refund');
    assert.ok(outcome?.runId);
    assert.equal(outcome.last?.type, 'run.waiting', 'the refund waits for finance');
    const runId = outcome.runId;
    const entries = () => api.runs.get(runId)!.entries!.map((e) => [e.key, e.kind, e.label, e.agent, e.status]);
    assert.deepEqual(entries(), [
      ['answer', 'step', undefined, 'Support', 'running'],
      ['answer · tool stub-1-1', 'tool', 'tool LookupOrder', 'answer · turn 1', 'succeeded'],
      ['answer/stub-2-1', 'approval', undefined, undefined, 'waiting'],
    ]);
    assert.deepEqual(api.runs.get(runId)!.entries![1].output, { status: 'lost', paid: 42 });
    assert.equal(api.runs.get(runId)!.entries![2].prompt, 'Support asks to call RefundFlow with {"order":42,"amount":42}');
    assert.equal(api.graph.snapshot()?.runId, runId, 'the panel draws the run');

    const waiting = await look('tools-waiting', { hover: 'Refund/answer' });
    if (waiting) {
      assert.ok(waiting.rows.some((r) => /^tool LookupOrder answer · turn 1 · \d+ ms$/.test(r)), JSON.stringify(waiting.rows));
      assert.ok(waiting.rows.some((r) => /^approval answer\/stub-2-1 waiting for finance$/.test(r)), JSON.stringify(waiting.rows));
      assert.match(waiting.tooltip ?? '', /turn 1\s+1 call · 0 tokens/);
      assert.match(waiting.tooltip ?? '', /tool LookupOrder \{"prompt":"order 42"\} → \{"status":"lost","paid":42\} · \d+ ms/);
      assert.match(waiting.tooltip ?? '', /tool RefundFlow \{"order":42,"amount":42\} waiting for approval \(finance\)/);
    }

    const decided = await vscode.commands.executeCommand<Outcome>('baton.runs.approve', { type: 'entry', runId, key: 'answer/stub-2-1' });
    assert.equal(decided?.exitCode, 0);
    assert.deepEqual(api.runs.get(runId)!.outputs, { reply: 'Refunded: RF-1001.' });
    assert.deepEqual(entries(), [
      ['answer', 'step', undefined, 'Support', 'succeeded'],
      ['answer · tool stub-1-1', 'tool', 'tool LookupOrder', 'answer · turn 1', 'succeeded'],
      ['answer/stub-2-1', 'approval', undefined, undefined, 'approved'],
      ['answer · tool stub-2-1', 'tool', 'tool RefundFlow', 'answer · turn 2', 'succeeded'],
      ['answer/stub-2-1/pay', 'step', undefined, 'Payments', 'succeeded'],
    ]);

    const done = await look('tools-approved', { hover: 'Refund/answer' });
    if (done) {
      assert.ok(done.rows.some((r) => /^tool RefundFlow answer · turn 2 · \d+ ms$/.test(r)), JSON.stringify(done.rows));
      assert.match(done.tooltip ?? '', /tool RefundFlow \{"order":42,"amount":42\} → \{"reference":"RF-1001"\}/);
      assert.match(done.tooltip ?? '', /↳ pay\s+Payments · succeeded · \d+ ms/, 'the flow tool\'s step under its call');
      assert.match(done.tooltip ?? '', /turn 3\s+final answer · 0 tokens/);
    }

    // afterwards, from the store (history mode): the panel draws the stored run's events, tool loop included
    assert.equal(await api.graph.showStoredRun(undefined), true);
    assert.equal(await api.graph.showStoredRun(runId), true);
    await waitFor(() => api.graph.snapshot()?.runId === runId && api.graph.snapshot()!.runEventTypes.at(-1) === 'run.succeeded', 'the stored run drawn');
    assert.ok(api.graph.snapshot()!.runEventTypes.includes('tool.finished'), 'the stored events include the tool calls');
    const stored = await look('tools-stored', { hover: 'Refund/answer' });
    if (stored) {
      assert.match(stored.tooltip ?? '', /tool LookupOrder \{"prompt":"order 42"\} → \{"status":"lost","paid":42\}/);
      assert.match(stored.tooltip ?? '', /tool RefundFlow \{"order":42,"amount":42\} → \{"reference":"RF-1001"\}/);
    }
  });
});
