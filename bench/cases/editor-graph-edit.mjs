// Edit → updated graph in the real editor (code-server 4.100.3): a generated 100-step flow in the graph panel,
// 10 edits that each add a step, timed from the edit to the page's drawing (bench/editor/graph-edit.test.ts).
// Prints one JSON line: p50 and max (ms). Usage: node bench/cases/editor-graph-edit.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-graph-edit-'));
const out = path.join(dir, 'metrics.json');
execFileSync(process.execPath, [path.join(root, 'scripts', 'real-editor.mjs'), '--suite-dir', path.join(root, 'bench', 'editor'), '--empty-workspace'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, BATON_BENCH_GRAPH_OUT: out },
});
const { editToGraphMs, layoutMs } = JSON.parse(readFileSync(out, 'utf8'));
rmSync(dir, { recursive: true, force: true });
const sorted = [...editToGraphMs].sort((a, b) => a - b);
console.log(JSON.stringify({ system: 'baton-extension', shape: 'edit-to-graph', n: 100, p50Ms: sorted[Math.floor(sorted.length / 2)], maxMs: sorted.at(-1), runs: editToGraphMs, layoutMs }));
