// The extension's activation in a real VS Code (code-server 4.100.3): starts it `runs` times (default 3) with an
// empty workspace and bench/editor/activation.test.ts, which times `extension.activate()` and the first
// diagnostics of a new document. Prints one JSON line per run, then one with the best and the spread.
// Usage: node bench/cases/editor-activation.mjs [runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 3);
const rows = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-activation-'));
  const out = path.join(dir, 'metrics.json');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'real-editor.mjs'), '--suite-dir', path.join(root, 'bench', 'editor'), '--empty-workspace'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BATON_BENCH_OUT: out },
  });
  const m = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  rows.push(m);
  console.log(JSON.stringify({ system: 'baton-extension', shape: 'activation', n: i + 1, ...m }));
}
const best = (key) => Math.min(...rows.map((r) => r[key]));
const worst = (key) => Math.max(...rows.map((r) => r[key]));
console.log(JSON.stringify({ system: 'baton-extension', shape: 'activation-summary', n: runs, activateMs: best('activateMs'), activateMsWorst: worst('activateMs'), firstDiagnosticsMs: best('firstDiagnosticsMs'), firstDiagnosticsMsWorst: worst('firstDiagnosticsMs') }));
