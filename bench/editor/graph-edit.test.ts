/**
 * Run by bench/cases/editor-graph-edit.mjs inside code-server (scripts/real-editor.mjs --suite-dir bench/editor
 * --empty-workspace): a generated 100-step flow in the graph panel; each edit adds a step (the graph changes and
 * is laid out again) and is timed from the edit to the drawing in the page (its `rendered` answer's `drawnAt`) — the language
 * server's re-check and `baton/graph`, the messages, layout and drawing in the page: what a person waits for.
 * The edits start 1.5 s after the first graph (the panel's start-up work done, as when a person starts typing). Writes
 * `{editToGraphMs: number[], layoutMs: number[]}` (ms; the second is the page's layout and drawing alone) as JSON to BATON_BENCH_GRAPH_OUT.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { generateFlow } from '../generate-flow.mjs';

interface Rendered {
  nodes: number;
  totalMs: number;
  layoutMs: number;
}
interface Api {
  graph: { snapshot(): { nodes: string[]; lastRendered?: Rendered } | undefined; onDidRender(listener: (r: Rendered) => void): { dispose(): void } };
}

describe('edit → updated graph (bench)', () => {
  it('times edits of a 100-step flow in the graph panel', async () => {
    if (!process.env.BATON_BENCH_GRAPH_OUT) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const uri = vscode.Uri.joinPath(folder.uri, 'bench-100.flow');
    writeFileSync(uri.fsPath, generateFlow(100));
    const extension = vscode.extensions.getExtension<Api>('baton.baton')!;
    const api = extension.isActive ? extension.exports : await extension.activate();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await vscode.commands.executeCommand('baton.graph.open', uri);
    const until = async (probe: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!probe()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(() => (api.graph.snapshot()?.nodes.length ?? 0) > 100, 'the first graph');
    // a person looks at the graph before typing: let the panel's start-up work (its run picker reads the
    // store through a CLI process) finish first, so the edits time the edit path alone
    await new Promise((r) => setTimeout(r, 1500));
    const times: number[] = [];
    const layout: number[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `added${i}`;
      // after the closing brace of a step in the flow's middle (a new statement between two steps)
      const closers: number[] = [];
      for (let l = 0; l < editor.document.lineCount; l++) if (editor.document.lineAt(l).text === '  }') closers.push(l);
      const line = closers[Math.floor(closers.length / 3) + i * 3];
      const text = editor.document.lineAt(line).text;
      const at = new vscode.Position(line, text.length);
      let rendered: Rendered | undefined;
      const sub = api.graph.onDidRender((r) => {
        if (api.graph.snapshot()?.nodes.includes(`Generated/${name}`)) rendered = r;
      });
      const ok = await editor.edit((e) => e.insert(at, `\n  step ${name}: Worker1 { prompt: "added ${i}" }`));
      assert.ok(ok);
      await until(() => rendered !== undefined, `the graph with ${name}`);
      sub.dispose();
      times.push(rendered!.totalMs);
      layout.push(rendered!.layoutMs);
      await new Promise((r) => setTimeout(r, 200));
    }
    writeFileSync(process.env.BATON_BENCH_GRAPH_OUT, JSON.stringify({ editToGraphMs: times, layoutMs: layout }));
  });
});
