// The editor's speed on a generated file of N steps, through the BUNDLED language server
// (out/language-server.cjs) started over stdio as an editor starts it. One session per process:
//   open        didOpen → first publishDiagnostics (parse, link, validate the whole file)
//   recheck     a one-line didChange (incremental, as VS Code sends it) → the next publishDiagnostics;
//               edits alternate between a valid change and one that makes / fixes an error, and each
//               published set is checked, so a figure is never that of a skipped check; 4 warm-up edits, then
//               40 measured (BATON_BENCH_RECHECK_ROUNDS=3 measures the 12 of the bench before 2026-12-06)
//   completion  textDocument/completion on the settled document at several positions (after
//               `step.output.`, where a name starts, where a step property starts), each item list checked
//   hover       textDocument/hover at several positions (step and agent names, a duration, `input.x`)
//   type+complete  didChange inserting `sN.output.` then completion at once (the request waits for the
//               re-link): what a person sees when they type the dot
// Usage: node bench/cases/editor.mjs [steps=5000]
// Env:   BATON_BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" adds Node options to the server;
//        BATON_BENCH_SERVER=<path>/language-server.cjs measures another build (before/after);
//        BATON_BENCH_EDITOR_ONLY=recheck stops after the re-checks (open, recheck and the server's RSS: a short run);
//        BATON_BENCH_NO_SEMI_SPACE=1 starts the server without the extension's --max-semi-space-size (memory),
//        BATON_BENCH_SEMI_SPACE=<MB> with another size; BATON_BENCH_NO_IDLE_GC=1 without --expose-gc (the server's
//        garbage collection once idle: packages/language-server/src/baton-idle-gc.ts);
//        BATON_BENCH_IDLE_MS=<ms> the idle time before the server's steady RSS is read (default 12,000: past the
//        server's idle collection, 10 s after its last build);
//        BATON_BENCH_HEAP_SNAPSHOT_DIR=<dir> writes a heap snapshot of the server there after that idle time.
// Prints one JSON line per figure: {system:'baton-editor', shape, n, totalMs, perStepUs, p50Ms, maxMs, samples}.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { generateFlow } from '../generate-flow.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const server = process.env.BATON_BENCH_SERVER ?? path.join(root, 'out', 'language-server.cjs');
if (!existsSync(server)) {
  console.error(`${server} is missing: run npm run build first`);
  process.exit(2);
}
const steps = Number(process.argv[2] ?? 5000);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-editor-'));
const file = path.join(dir, `generated-${steps}.flow`);
let text = generateFlow(steps);
writeFileSync(file, text);
const uri = pathToFileURL(file).toString();

const now = () => Number(process.hrtime.bigint()) / 1e6;
const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

// --- the server -------------------------------------------------------------------------------------
// The Node options the extension starts the server with (LANGUAGE_SERVER_EXEC_ARGV in
// packages/protocol/src/server-launch.ts; test/extension-unit/server-launch.test.ts checks they agree), then BATON_BENCH_SERVER_ARGS.
const SERVER_EXEC_ARGV = ['--max-semi-space-size=32', '--expose-gc'];
const serverExecArgv = [
  ...SERVER_EXEC_ARGV.filter((a) => !(a.startsWith('--max-semi-space-size') && (process.env.BATON_BENCH_NO_SEMI_SPACE || process.env.BATON_BENCH_SEMI_SPACE)) && !(a === '--expose-gc' && process.env.BATON_BENCH_NO_IDLE_GC)),
  ...(process.env.BATON_BENCH_SEMI_SPACE ? [`--max-semi-space-size=${process.env.BATON_BENCH_SEMI_SPACE}`] : []),
];
const heapSnapshotDir = process.env.BATON_BENCH_HEAP_SNAPSHOT_DIR;
const extraArgs = [
  ...(process.env.BATON_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean),
  ...(heapSnapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapSnapshotDir}`] : []),
];
const child = spawn(process.execPath, [...serverExecArgv, ...extraArgs, server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
/** Resolvers waiting for the next publishDiagnostics of `uri`. */
let waiting = [];
connection.onNotification('textDocument/publishDiagnostics', (p) => {
  if (p.uri !== uri) return;
  const at = now();
  for (const w of waiting.splice(0)) w({ at, diagnostics: p.diagnostics });
});
connection.onRequest('workspace/configuration', () => []);
connection.onRequest('client/registerCapability', () => null);
connection.listen();
const nextDiagnostics = () =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no publishDiagnostics within 60 s')), 60_000);
    waiting.push((r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });

const folder = pathToFileURL(dir).toString();
await connection.sendRequest('initialize', {
  processId: process.pid,
  rootUri: folder,
  workspaceFolders: [{ uri: folder, name: 'bench' }],
  capabilities: {
    textDocument: {
      synchronization: { didSave: true },
      completion: { completionItem: { snippetSupport: true } },
      hover: { contentFormat: ['markdown', 'plaintext'] },
      publishDiagnostics: {},
    },
    workspace: { configuration: true },
  },
});
await connection.sendNotification('initialized', {});

// --- open: the first full check -----------------------------------------------------------------------
let version = 1;
let start = now();
let published = nextDiagnostics();
await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version, text } });
const opened = await published;
const openMs = opened.at - start;
const errors = (d) => d.filter((x) => x.severity === 1);
assert.deepEqual(errors(opened.diagnostics), [], 'the generated file checks without errors');
const baseline = opened.diagnostics.length;

// --- positions ---------------------------------------------------------------------------------------
const lines = text.split('\n');
/** Line and character of the `occurrence`-th match of `needle` on the line matching `lineRe`, + `delta`. */
function at(lineRe, needle, delta = 0) {
  const line = lines.findIndex((l) => lineRe.test(l));
  assert.ok(line >= 0, `no line matches ${lineRe}`);
  const character = lines[line].indexOf(needle);
  assert.ok(character >= 0, `${needle} not on line ${line}`);
  return { line, character: character + delta };
}
const mid = Math.floor(steps / 2) + 3; // a plain step (not in an if / parallel)
const late = steps - 3;

/** Applies one incremental change to `text` (what the server also does) and sends it. */
async function change(range, newText) {
  const startOffset = offsetOf(range.start);
  const endOffset = offsetOf(range.end);
  text = text.slice(0, startOffset) + newText + text.slice(endOffset);
  lines.splice(0, lines.length, ...text.split('\n'));
  version += 1;
  await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text: newText }] });
}
function offsetOf({ line, character }) {
  let offset = 0;
  for (let i = 0; i < line; i++) offset += lines[i].length + 1;
  return offset + character;
}

// --- recheck after a one-line edit ----------------------------------------------------------------------
// Each edit: [description, make the change, check the diagnostics it must produce]
const typo = at(new RegExp(`^  step s${mid}: Worker`), 'Worker', 'Worker'.length); // after `Worker`, before the digit
const promptPos = at(new RegExp(`^    prompt: "Step ${mid} on`), ' on', 0);
const edits = [
  ['insert a word into a prompt', () => change({ start: promptPos, end: promptPos }, ' now'), (d) => d.length === baseline && errors(d).length === 0],
  ['remove it again', () => change({ start: promptPos, end: { line: promptPos.line, character: promptPos.character + 4 } }, ''), (d) => d.length === baseline && errors(d).length === 0],
  ['break a step target (unknown agent)', () => change({ start: typo, end: { line: typo.line, character: typo.character + 1 } }, 'X'), (d) => errors(d).some((x) => x.code === 'unknown-agent')],
  ['fix it', () => change({ start: typo, end: { line: typo.line, character: typo.character + 1 } }, String(mid % 10)), (d) => errors(d).length === 0],
];
// one round of warm-up (the 4 edits once), then RECHECK_ROUNDS measured rounds: 40 samples, so that p95 is the
// 38th of 40, not the slowest of 12 (3 rounds, until 2026-12-06: `p95First12Ms` is still that figure)
const RECHECK_ROUNDS = Number(process.env.BATON_BENCH_RECHECK_ROUNDS ?? 10);
const recheck = [];
const recheckByEdit = {};
for (let round = 0; round <= RECHECK_ROUNDS; round++) {
  for (const [what, edit, ok] of edits) {
    published = nextDiagnostics();
    start = now();
    await edit();
    const r = await published;
    assert.ok(ok(r.diagnostics), `${what}: unexpected diagnostics ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
    if (round > 0) {
      recheck.push(r.at - start); // round 0 warms up
      (recheckByEdit[what] ??= []).push(r.at - start);
    }
  }
}

const onlyRecheck = process.env.BATON_BENCH_EDITOR_ONLY === 'recheck';
// --- completion on the settled document -----------------------------------------------------------------
const labels = (result) => (Array.isArray(result) ? result : result?.items ?? []).map((i) => i.label);
const completionCases = [
  ['after `step.output.` (middle)', at(new RegExp(`^    prompt: "Step ${mid} on`), 'output.', 'output.'.length), (l) => ['text', 'score', 'tags'].every((x) => l.includes(x))],
  ['after `step.output.` (end)', at(new RegExp(`^    prompt: "Step ${late} on`), 'output.', 'output.'.length), (l) => ['text', 'score', 'tags'].every((x) => l.includes(x))],
  ['a name starts (middle)', at(new RegExp(`^    prompt: "Step ${mid} on`), `\${s${mid - 1}`, 2), (l) => l.includes(`s${mid - 1}`) && l.includes('input') && !l.includes(`s${mid + 1}`)],
  ['a name starts (end)', at(new RegExp(`^    prompt: "Step ${late} on`), `\${s${late - 1}`, 2), (l) => l.includes(`s${late - 1}`) && !l.includes(`s${late + 1}`)],
  ['a step property starts (middle)', at(new RegExp(`^  step s${mid}: `), 'step', 0), null],
];
// the property position: the start of the `timeout:` line inside step `mid`
{
  const stepLine = lines.findIndex((l) => l.startsWith(`  step s${mid}: `));
  const timeoutLine = stepLine + 2;
  assert.ok(lines[timeoutLine].trim().startsWith('timeout:'));
  completionCases[4] = ['a step property starts (middle)', { line: timeoutLine, character: 4 }, (l) => ['prompt', 'retry', 'when'].every((x) => l.includes(x))];
}
const completion = [];
const completionByCase = {};
for (const [what, position, ok] of onlyRecheck ? [] : completionCases) {
  for (let i = 0; i < 11; i++) {
    start = now();
    const result = await connection.sendRequest('textDocument/completion', { textDocument: { uri }, position });
    const ms = now() - start;
    const l = labels(result);
    assert.ok(ok(l), `completion ${what} at ${JSON.stringify(position)}: ${l.slice(0, 20).join(', ')}`);
    if (i > 0) {
      completion.push(ms);
      (completionByCase[what] ??= []).push(ms);
    }
  }
}

// --- hover ----------------------------------------------------------------------------------------------
const hoverCases = [
  ['a step read in a template', at(new RegExp(`^    prompt: "Step ${mid} on`), `s${mid - 1}.output`, 1), (h) => h.includes(`**step** \`s${mid - 1}\``)],
  ['an agent at a step', at(new RegExp(`^  step s${late}: `), 'Worker', 2), (h) => h.includes('**agent**')],
  ['a step declaration', at(new RegExp(`^  step s${mid}: `), `s${mid}`, 1), (h) => h.includes(`**step** \`s${mid}\``)],
  ['a duration', (() => {
    const l = lines.findIndex((x) => x.startsWith(`  step s${late}: `)) + 2;
    return { line: l, character: lines[l].indexOf('30s') + 1 };
  })(), (h) => h.includes('30 seconds')],
  ['an input read', at(new RegExp(`^    prompt: "Step ${late} on`), 'topic', 1), (h) => h.includes('**input**')],
];
const hover = [];
const hoverByCase = {};
for (const [what, position, ok] of onlyRecheck ? [] : hoverCases) {
  for (let i = 0; i < 11; i++) {
    start = now();
    const result = await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
    const ms = now() - start;
    const value = result?.contents?.value ?? '';
    assert.ok(ok(value), `hover ${what} at ${JSON.stringify(position)}: ${value}`);
    if (i > 0) {
      hover.push(ms);
      (hoverByCase[what] ??= []).push(ms);
    }
  }
}

// --- type a dot, complete at once ------------------------------------------------------------------------
// A new line in step `mid`'s block: `when: s<mid-1>.output.` then completion right after the dot; the
// line is removed again (and the diagnostics awaited) before the next round.
const typeComplete = [];
for (let round = 0; round < (onlyRecheck ? 0 : 6); round++) {
  const stepLine = lines.findIndex((l) => l.startsWith(`  step s${mid}: `));
  const insertAt = { line: stepLine + 1, character: 0 };
  const typed = `    when: s${mid - 1}.output.\n`;
  published = nextDiagnostics();
  start = now();
  await change({ start: insertAt, end: insertAt }, typed);
  const result = await connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: stepLine + 1, character: typed.length - 1 } });
  const ms = now() - start;
  const l = labels(result);
  assert.ok(['text', 'score', 'tags'].every((x) => l.includes(x)), `completion after typing: ${l.join(', ')}`);
  await published;
  published = nextDiagnostics();
  await change({ start: insertAt, end: { line: stepLine + 2, character: 0 } }, '');
  const back = await published;
  assert.equal(errors(back.diagnostics).length, 0);
  if (round > 0) typeComplete.push(ms);
}

// the server's resident memory (MB), from /proc where there is one: right at the end (where V8's heap stands in
// its cycle: it varies from run to run), and after an idle time (BATON_BENCH_IDLE_MS) — the steady figure, what an
// editor's server holds between edit bursts
const rssNow = () => {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
  } catch {
    return undefined;
  }
};
const rssEndMb = rssNow();
await new Promise((resolve) => setTimeout(resolve, Number(process.env.BATON_BENCH_IDLE_MS ?? 12_000)));
const rssMb = rssNow();
if (heapSnapshotDir) {
  // --heapsnapshot-signal: the server writes Heap.*.heapsnapshot into the directory (a full GC first)
  const before = new Set(readdirSync(heapSnapshotDir));
  process.kill(child.pid, 'SIGUSR2');
  for (let i = 0; i < 600 && !readdirSync(heapSnapshotDir).some((f) => !before.has(f) && f.endsWith('.heapsnapshot')); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
}
await connection.sendRequest('shutdown');
await connection.sendNotification('exit');
await new Promise((resolve) => child.once('exit', resolve));
connection.dispose();
rmSync(dir, { recursive: true, force: true });

const row = (shape, totalMs, samples, extra = {}) =>
  console.log(JSON.stringify({ system: 'baton-editor', shape, n: steps, totalMs, perStepUs: (totalMs * 1000) / steps, samples: samples.length, p50Ms: percentile(samples, 50), maxMs: Math.max(...samples), ...extra }));
const byCase = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { p50: percentile(v, 50), p95: percentile(v, 95) }]));
row('open', openMs, [openMs], { bytes: Buffer.byteLength(text), serverRssMb: rssMb, serverRssAtEndMb: rssEndMb, execArgv: serverExecArgv });
row('recheck', percentile(recheck, 95), recheck, { p95First12Ms: percentile(recheck.slice(0, 12), 95), bestMs: Math.min(...recheck), edits: Object.fromEntries(Object.entries(recheckByEdit).map(([k, v]) => [k, v.map((x) => Math.round(x))])) });
if (!onlyRecheck) {
  row('completion', percentile(completion, 95), completion, { cases: byCase(completionByCase) });
  row('hover', percentile(hover, 95), hover, { cases: byCase(hoverByCase) });
  row('type+complete', percentile(typeComplete, 95), typeComplete);
}
