// First use in the real editor (code-server 4.100.3), each run a fresh window on an empty folder
// (bench/editor/first-use.test.ts): a small `.flow` file opened → its first diagnostics (activation, the language
// server's start, its first build), and "Open Graph to the Side" → the graph drawn in the panel.
// Prints one JSON line per run, then one with the best and the worst. Usage: node bench/cases/editor-first-use.mjs [runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 3);
const rows = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-first-use-'));
  const out = path.join(dir, 'metrics.json');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'real-editor.mjs'), '--suite-dir', path.join(root, 'bench', 'editor'), '--files', 'first-use', '--empty-workspace'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BATON_BENCH_FIRST_USE_OUT: out, BATON_BENCH_ROOT: root },
  });
  const m = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  rows.push(m);
  console.log(JSON.stringify({ system: 'baton-extension', shape: 'first-use', n: i + 1, ...m }));
}
const best = (key) => Math.min(...rows.map((r) => r[key]));
const worst = (key) => Math.max(...rows.map((r) => r[key]));
console.log(JSON.stringify({ system: 'baton-extension', shape: 'first-use-summary', n: runs, firstDiagnosticsMs: best('firstDiagnosticsMs'), firstDiagnosticsMsWorst: worst('firstDiagnosticsMs'), graphMs: best('graphMs'), graphMsWorst: worst('graphMs') }));
