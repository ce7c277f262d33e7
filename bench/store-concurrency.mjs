// Concurrent `baton run` processes on one run store (issue 10, item 3): N "shells" at once, each running M
// runs one after the other (`baton run` of a 6-step flow whose agents are command agents sleeping 0.2 s),
// then checks the store against what each process printed.
//
//   node bench/store-concurrency.mjs [--shells 3] [--runs 5] [--steps 6] [--keep]
//
// Prints one JSON line: runs started/stored, lost (printed started, not stored), stuck (`running`),
// internal errors, exit codes, and mismatches (printed succeeded, stored otherwise). Exit 1 if anything
// was lost, stuck, internal or inconsistent. Uses the built CLI (`node esbuild.mjs` first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'out', 'cli.mjs');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const shells = arg('shells', 3);
const runsPerShell = arg('runs', 5);
const steps = arg('steps', 6);

const dir = mkdtempSync(path.join(tmpdir(), 'baton-concurrency-'));
const store = path.join(dir, 'runs.db');
writeFileSync(
  path.join(dir, 'baton.config.json'),
  JSON.stringify({ commands: { nap: { command: ['sh', '-c', 'sleep 0.2; echo \'{"output":{"ok":true}}\''] } } }),
);
writeFileSync(
  path.join(dir, 'nap.flow'),
  `agent Nap {\n  model: "command/nap"\n  output: { ok: boolean }\n}\n\nflow Naps {\n  output done: boolean\n${Array.from({ length: steps }, (_, i) => `  step s${i + 1}: Nap { prompt: "nap ${i + 1}" }\n`).join('')}  set output.done = s${steps}.output.ok\n}\n`,
);

/** One `baton run --json`: its exit code, the run id it printed and the last status it printed. */
function runOnce() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', 'nap.flow', '--agents', 'real', '--json', '--store', store], { cwd: dir, env: { ...process.env, NO_COLOR: '1', BATON_DEBUG: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => {
      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const runId = events.find((e) => e.runId)?.runId;
      const closing = events.filter((e) => ['run.succeeded', 'run.failed', 'run.cancelled', 'run.waiting'].includes(e.type)).map((e) => e.type.slice(4));
      resolve({ code, runId, printed: closing, stderr: err.trim() });
    });
  });
}

const started = Date.now();
const results = (
  await Promise.all(
    Array.from({ length: shells }, async () => {
      const mine = [];
      for (let i = 0; i < runsPerShell; i++) mine.push(await runOnce());
      return mine;
    }),
  )
).flat();
const wallMs = Date.now() - started;

const list = spawnSync(process.execPath, [cli, 'runs', 'list', '--json', '--limit', '100000', '--store', store], { cwd: dir, encoding: 'utf8' });
let stored = [];
try {
  stored = JSON.parse(list.stdout);
} catch {
  stored = [];
}
const byId = new Map(stored.map((r) => [r.id, r]));
const internal = results.filter((r) => /internal|INTERNAL|database is locked|Could not reset/.test(r.stderr));
const lost = results.filter((r) => r.runId && !byId.has(r.runId));
const stuck = stored.filter((r) => r.status === 'running');
const mismatched = results.filter((r) => r.printed.includes('succeeded') && byId.get(r.runId)?.status !== 'succeeded');
const failedExit = results.filter((r) => r.code !== 0);
const report = {
  shells,
  runsPerShell,
  steps,
  wallMs,
  started: results.filter((r) => r.runId).length,
  stored: stored.length,
  succeeded: stored.filter((r) => r.status === 'succeeded').length,
  nonZeroExit: failedExit.length,
  internal: internal.length,
  lost: lost.length,
  stuck: stuck.length,
  printedSucceededNotStored: mismatched.length,
  listExit: list.status,
  errors: [...new Set(failedExit.map((r) => r.stderr.split('\n').find((l) => /error|locked|reset/i.test(l)) ?? r.stderr.slice(0, 200)))].slice(0, 5),
};
console.log(JSON.stringify(report));
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
process.exit(report.lost || report.stuck || report.internal || report.printedSucceededNotStored || report.nonZeroExit ? 1 : 0);
