// `npm run bench`: runs every benchmark case in a fresh process, prints a table, and writes
// bench/results/latest.json. The comparison systems (LangGraph.js, better-sqlite3) are dev dependencies
// of bench/ only: the first run installs them into bench/node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--editor') ? 'editor' : undefined;

if (only !== 'editor' && !existsSync(path.join(benchDir, 'node_modules', '@langchain', 'langgraph'))) {
  console.log('Installing the comparison systems into bench/node_modules (once)…');
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' });
}

/** Runs one case in its own process; returns its JSON line(s). */
function runCase(file, args, { tsx = false } = {}) {
  const nodeArgs = [...(tsx ? ['--import', 'tsx'] : []), path.join(benchDir, 'cases', file), ...args.map(String)];
  const out = execFileSync(process.execPath, nodeArgs, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

const results = [];
const record = (rows) => {
  for (const r of rows) {
    results.push(r);
    console.log(`  ${r.system.padEnd(22)} ${r.shape.padEnd(10)} n=${String(r.n).padEnd(6)} ${r.totalMs.toFixed(1).padStart(9)} ms  ${r.perStepUs.toFixed(1).padStart(8)} µs/step`);
  }
};

/** The editor case: three fresh server sessions; per figure the best run, and all three. */
function runEditor() {
  console.log('\nEditor (bundled language server over stdio, 5,000-step file; 3 sessions, best and range):');
  const editorRuns = [1, 2, 3].map(() => runCase('editor.mjs', [5000]));
  const editor = {};
  for (const shape of ['open', 'recheck', 'completion', 'hover', 'type+complete']) {
    const rows = editorRuns.map((run) => run.find((r) => r.shape === shape));
    const best = rows.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
    editor[shape] = { bestMs: best.totalMs, worstMs: Math.max(...rows.map((r) => r.totalMs)) };
    results.push({ ...best, runs: rows.map((r) => r.totalMs) });
    const label = { open: 'first check (didOpen → diagnostics)', recheck: 're-check after a one-line edit, p95', completion: 'completion, p95', hover: 'hover, p95', 'type+complete': 'type `x.output.` then complete, p95' }[shape];
    console.log(`  ${label.padEnd(42)} ${best.totalMs.toFixed(1).padStart(8)} ms  (runs ${rows.map((r) => r.totalMs.toFixed(1)).join(' / ')} ms)`);
  }
  // Activation in the real editor (code-server; the real-editor suite's tools): 3 sessions.
  const activation = runCase('editor-activation.mjs', [3]).find((r) => r.shape === 'activation-summary');
  results.push(activation);
  console.log(`  ${'activation (extension.activate())'.padEnd(42)} ${activation.activateMs.toFixed(1).padStart(8)} ms  (worst ${activation.activateMsWorst.toFixed(1)} ms)`);
  console.log(`  ${'first diagnostics after activation'.padEnd(42)} ${activation.firstDiagnosticsMs.toFixed(1).padStart(8)} ms  (worst ${activation.firstDiagnosticsMsWorst.toFixed(1)} ms)`);
  editor.activation = { bestMs: activation.activateMs, worstMs: activation.activateMsWorst };
  // Edit → updated graph in the graph panel (code-server): 10 edits of a generated 100-step flow.
  const graphEdit = runCase('editor-graph-edit.mjs', []).find((r) => r.shape === 'edit-to-graph');
  results.push(graphEdit);
  console.log(`  ${'edit → updated graph (100 steps), p50'.padEnd(42)} ${graphEdit.p50Ms.toFixed(1).padStart(8)} ms  (max ${graphEdit.maxMs.toFixed(1)} ms, the first cold)`);
  // First use in a fresh window (code-server): a small file's first diagnostics, "Open Graph to the Side" → drawn.
  const firstUse = runCase('editor-first-use.mjs', [3]).find((r) => r.shape === 'first-use-summary');
  results.push(firstUse);
  console.log(`  ${'fresh window: open → first diagnostics'.padEnd(42)} ${firstUse.firstDiagnosticsMs.toFixed(1).padStart(8)} ms  (worst ${firstUse.firstDiagnosticsMsWorst.toFixed(1)} ms)`);
  console.log(`  ${'fresh window: Open Graph → drawn'.padEnd(42)} ${firstUse.graphMs.toFixed(1).padStart(8)} ms  (worst ${firstUse.graphMsWorst.toFixed(1)} ms)`);
  editor.firstUse = { firstDiagnosticsMs: firstUse.firstDiagnosticsMs, graphMs: firstUse.graphMs };
  return editor;
}

if (only === 'editor') {
  runEditor();
  mkdirSync(path.join(benchDir, 'results'), { recursive: true });
  writeFileSync(path.join(benchDir, 'results', 'editor.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
  console.log('\nWrote bench/results/editor.json');
  process.exit(0);
}

console.log('Runtime overhead (stub agents, store on; each case in a fresh process):');
const sizes = quick ? [1000] : [1000, 10000];
for (const n of sizes) {
  record(runCase('baton-runtime.ts', ['chain', n], { tsx: true }));
  record(runCase('floor.mjs', ['better-sqlite3', n]));
  record(runCase('floor.mjs', ['wasm', n]));
}
record(runCase('baton-runtime.ts', ['chain', 1000, 'memory'], { tsx: true }));
record(runCase('baton-runtime.ts', ['parallel', 1000], { tsx: true }));
record(runCase('langgraph.mjs', ['chain', 1000]));
record(runCase('langgraph.mjs', ['fanout', 1000]));

console.log('\nWhole-process `baton run` vs LangGraph.js (a 1,000- and a 10-step chain, stub agents, store on; fresh processes, best of each; per extra step = (T(1,000) − T(10)) / 990):');
const processRows = runCase('run-process.mjs', [1000, 10, quick ? 3 : 5]);
results.push(...processRows);
for (const r of processRows.filter((row) => row.system !== 'ratio')) {
  console.log(`  ${r.system.padEnd(18)} ${r.perStepUs.toFixed(0).padStart(6)} µs/extra step (CPU ${r.cpuPerStepUs.toFixed(0)} µs)  T(1,000) ${r.totalMs.toFixed(0)} ms, T(10) ${r.smallMs.toFixed(0)} ms; load ${r.loadAverage}`);
}

console.log('\nRun store on PostgreSQL (append + flush per step, 1,000 steps; a private durable server):');
// scripts/services.mjs --durable starts PostgreSQL with its defaults (fsync on) for this case and stops it after
record(runCase('../../scripts/services.mjs', ['--durable', '--', process.execPath, '--import', 'tsx', path.join(benchDir, 'cases', 'pg-store.ts'), 1000]));

// Issue 11's scaling goal (≥ 1.8× at 2 workers, ≥ 3.2× at 4) is for I/O-bound runs: at --concurrency 2 the 4 workers'
// runs need ~60 % of this 2-core machine, so the agent's 20 ms is what bounds them. At --concurrency 8 the 4 workers
// would need ~3 cores: that row shows the CPU-bound ceiling (cpuBoundRunsPerSecond), not scaling.
for (const concurrency of [2, 8]) {
  console.log(`\nA cluster on one machine (baton worker ×1/2/4, --concurrency ${concurrency}, PostgreSQL + Redis; runs of 10 HTTP steps of 20 ms started through baton serve --queue${concurrency === 2 ? '; I/O-bound: the scaling goal ≥ 1.8× / ≥ 3.2×' : '; CPU-bound on 2 cores'}):`);
  // scripts/services.mjs starts PostgreSQL (durability off) and Redis for this case and stops them after
  const cluster = runCase('../../scripts/services.mjs', ['--', process.execPath, path.join(benchDir, 'cases', 'cluster.mjs'), quick ? 500 : 2000, concurrency]);
  results.push(...cluster);
  const oneWorker = cluster.find((r) => r.shape === 'workers-1');
  for (const r of cluster) {
    if (r.shape === 'front-door') console.log(`  front door: ${r.startsPerSecond} webhook starts/s, 202 latency p50 ${r.startLatencyP50Ms} / p99 ${r.startLatencyP99Ms} ms (${r.n} webhooks, ${r.inFlight} in flight), load ${r.loadAverage}`);
    else console.log(`  ${r.workers} worker(s): ${r.runsPerSecond} runs/s (${(r.runsPerSecond / oneWorker.runsPerSecond).toFixed(2)}× one worker), machine ${r.machineBusyPct} % busy, CPU per run ${r.cpuMsPerRun.total} ms (CPU-bound ceiling ${r.cpuBoundRunsPerSecond} runs/s), ${r.pgTransactionsPerRun} PostgreSQL transactions and ${r.redisCommandsPerRun} Redis commands per run, load ${r.loadAverage}`);
  }
}

console.log('\nThe console\'s runs list (the store\'s time for GET /runs on 100,000 runs, p50 of 20 after a warm-up; goal ≤ 300 ms):');
// scripts/services.mjs starts PostgreSQL for the second half of the case and stops it after
const list = runCase('../../scripts/services.mjs', ['--', process.execPath, '--import', 'tsx', path.join(benchDir, 'cases', 'console-list.ts'), quick ? 20000 : 100000]);
results.push(...list);
for (const r of list) console.log(`  ${r.system.padEnd(9)} ${r.shape.padEnd(14)} p50 ${r.totalMs.toFixed(1).padStart(7)} ms  (max ${r.maxMs.toFixed(1)} ms, ${r.rows} rows)`);
console.log('\nThe console\'s runs list in Chromium (#/runs on 100,000 runs: navigation start → the page of rows painted; cold: a fresh context, warm: reloaded; goal ≤ 300 ms):');
const listPage = runCase('console-list-page.ts', [quick ? 20000 : 100000, quick ? 3 : 7], { tsx: true });
results.push(...listPage);
for (const r of listPage) console.log(`  ${r.shape.padEnd(14)} cold p50 ${r.totalMs.toFixed(0).padStart(4)} ms (max ${r.maxMs.toFixed(0)}), warm p50 ${r.warmP50Ms.toFixed(0).padStart(4)} ms (max ${r.warmMaxMs.toFixed(0)}); GET /runs server ${r.serverP50Ms} ms, transfer ${r.transferP50Ms} ms, render ${r.renderP50Ms} ms; load ${r.loadAverage}`);

console.log('\nWhat schema 8 adds to a step\'s commit (SQLite: nothing while the run runs — its run_steps rows are written when it ends; PostgreSQL: the trigger), a leased 1,000-step chain, best of 5:');
const projection = runCase('../../scripts/services.mjs', ['--', process.execPath, '--import', 'tsx', path.join(benchDir, 'cases', 'schema8-triggers.ts'), 1000]);
results.push(...projection);
for (const r of projection) console.log(`  ${r.system.padEnd(18)} ${r.shape.padEnd(15)} ${r.perStepUs.toFixed(1).padStart(7)} µs/step (CPU ${r.cpuPerStepUs.toFixed(1)} µs)`);

console.log('\nGraph panel (layout + SVG; edit → graph of a 100-step flow):');
record(runCase('graph-layout.ts', quick ? [1000] : [100, 500, 1000], { tsx: true }));

console.log('\nRun state (one fold for every view: a 1,000-step run\'s log → its state):');
record(runCase('run-model.ts', [1000], { tsx: true }));

console.log('\nConsole run page (#/runs/<id> in Chromium until its graph and timeline are painted; cold: a fresh context, warm: reloaded):');
for (const steps of [1000, 5000]) {
  const rows = runCase('console-run-page.mjs', [steps, quick ? 2 : 5]);
  results.push(...rows);
  for (const r of rows) {
    // the goal is for the cold open (a fresh profile), the slowest of the loads after the server's background pass
    const goal = steps === 1000 ? ` — goal ≤ 1,000 ms cold: ${r.maxMs <= 1000 ? 'met' : `NOT met (max ${r.maxMs.toFixed(0)} ms)`}` : '';
    console.log(`  ${String(steps).padStart(5)} steps (${r.events} events): cold ${r.totalMs.toFixed(0)} ms p50, ${r.maxMs.toFixed(0)} ms max (timeline ${r.timelineMedianMs.toFixed(0)} ms, layout ${r.layoutMedianMs ?? '—'} ms ${r.layoutFrom}), first after the server's start ${r.firstAfterStartMs} ms (${r.firstAfterStartLayoutFrom ?? 'no graph'}), warm ${r.warmMedianMs.toFixed(0)} ms; ${r.graphMessage ? 'graph: too large to draw' : `${r.nodesDrawn} nodes drawn`}; load ${r.loadAverage}${goal}`);
  }
}

console.log('\nConsole live updates (a 1,000-step chain streamed to GET /stream: receipt − event.time per step.finished; 3 runs, the lowest p99):');
for (const [mode, viaServices] of [['sqlite', false], ['pg-queue', true], ['sqlite-cli', false]]) {
  const runs = [1, 2, 3].map(() => (viaServices ? runCase('../../scripts/services.mjs', ['--', process.execPath, path.join(benchDir, 'cases', 'console-live.mjs'), mode, 1000]) : runCase('console-live.mjs', [mode, 1000]))[0]);
  const best = runs.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
  results.push({ ...best, runsP99Ms: runs.map((r) => r.p99Ms) });
  console.log(`  ${mode.padEnd(11)} p50 ${best.p50Ms} ms, p99 ${best.p99Ms} ms, max ${best.maxMs} ms (p99 of the runs: ${runs.map((r) => r.p99Ms).join(' / ')} ms)${mode === 'sqlite-cli' ? ' — another process writes: reported, no goal' : ' (goal ≤ 100 ms)'}`);
}

console.log('\nChecker (cold `baton check` of a generated file, bundled CLI):');
for (const steps of [1000, 5000]) record(runCase('checker.mjs', [steps]));

console.log('\nbaton serve (webhook starts under autocannon, 10 connections, stub agents):');
const serve = runCase('serve.mjs', [quick ? 3 : 10]);
record(serve);
for (const r of serve) console.log(`  ${r.acceptedPerSecond} starts/s accepted, start latency p50 ${r.startLatencyP50Ms} ms / p99 ${r.startLatencyP99Ms} ms, ${r.completedPerSecond} runs/s completed, ${r.runsSucceeded}/${r.runsStored} stored runs succeeded, ${r.non2xx + r.errors} errors`);
console.log('\nbaton serve with busy agents (400 webhooks, 16 in flight, 3 command steps sleeping 0.2 s, --concurrency 8):');
const busy = runCase('serve-busy.mjs', ['400', '16', '0.2']);
results.push(...busy);
for (const r of busy) console.log(`  202 latency p50 ${r.acceptLatencyP50Ms} / p95 ${r.acceptLatencyP95Ms} / p99 ${r.acceptLatencyP99Ms} ms (in the server: p99 ${r.serverAcceptP99Ms} ms; event loop delay p99 ${r.loopDelayP99Ms} ms), last 202 at ${r.lastAcceptedAtMs} ms, ${r.runsSucceeded}/${r.runsStored} runs succeeded, load ${r.loadAverage}`);

const editor = runEditor();

const find = (system, shape, n) => results.find((r) => r.system === system && r.shape === shape && r.n === n);
const baton1k = find('baton', 'chain', 1000);
const lg1k = find('langgraph', 'chain', 1000);
const floorNative = find('floor-better-sqlite3', 'chain', 1000);
const floorWasm = find('floor-wasm', 'chain', 1000);
const batonMemory = find('baton-memory-store', 'chain', 1000);
const par = find('baton', 'parallel', 1000);
const check5k = find('baton-check', 'file', 5000);
const processRatio = find('ratio', 'process-chain', 1000);
const ratios = {
  speedupVsLangGraph1k: lg1k.perStepUs / baton1k.perStepUs,
  processSpeedupVsLangGraph: processRatio.langgraphOverBaton,
  processSpeedupVsLangGraphCpu: processRatio.langgraphOverBatonCpu,
  ratioToNativeFloor1k: baton1k.perStepUs / floorNative.perStepUs,
  ratioToWasmFloor1k: baton1k.perStepUs / floorWasm.perStepUs,
  storeShareOfStep1k: 1 - batonMemory.perStepUs / baton1k.perStepUs,
  parallelJoinOverheadMs: par.joinOverheadMs,
  check5kMs: check5k.totalMs,
  editorRecheckP95Ms: editor.recheck.bestMs,
  editorCompletionP95Ms: editor.completion.bestMs,
  editorHoverP95Ms: editor.hover.bestMs,
  editorOpenMs: editor.open.bestMs,
  editorActivationMs: editor.activation.bestMs,
};
console.log('\nRatios (targets in parentheses):');
console.log(`  vs LangGraph.js at 1,000 steps: ${ratios.speedupVsLangGraph1k.toFixed(1)}× faster per step (≥ 50×)`);
console.log(`  whole processes vs LangGraph.js, per extra step: ${ratios.processSpeedupVsLangGraph.toFixed(1)}× faster (CPU ${ratios.processSpeedupVsLangGraphCpu.toFixed(1)}×) (≥ 20×)`);
console.log(`  vs the floor (better-sqlite3, WAL): ${ratios.ratioToNativeFloor1k.toFixed(2)}× (≤ 3×)`);
console.log(`  vs the floor on Baton's own engine (node-sqlite3-wasm): ${ratios.ratioToWasmFloor1k.toFixed(2)}×`);
console.log(`  share of Baton's per-step time spent writing the store file: ${(ratios.storeShareOfStep1k * 100).toFixed(0)}%`);
console.log(`  1,000-branch parallel join overhead: ${ratios.parallelJoinOverheadMs?.toFixed(1)} ms (≤ 50 ms)`);
console.log(`  5,000-step file checked in: ${ratios.check5kMs.toFixed(0)} ms (≤ 1,000 ms)`);
console.log(`  editor, 5,000 steps: re-check ${ratios.editorRecheckP95Ms.toFixed(0)} ms (≤ 150), completion ${ratios.editorCompletionP95Ms.toFixed(0)} ms (≤ 50), hover ${ratios.editorHoverP95Ms.toFixed(1)} ms (≤ 50), first check ${ratios.editorOpenMs.toFixed(0)} ms, activation ${ratios.editorActivationMs.toFixed(0)} ms (≤ 300)`);

mkdirSync(path.join(benchDir, 'results'), { recursive: true });
const file = path.join(benchDir, 'results', 'latest.json');
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results, ratios }, null, 2));
console.log(`\nWrote ${path.relative(root, file)}`);
