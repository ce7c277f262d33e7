// Baton's runtime overhead: a generated flow run on the embedded runtime with stub agents and the run
// store on (every step's completion committed before the next step starts), in a fresh process.
//   chain N     — N sequential steps
//   parallel N  — one `parallel` of N branches, then one step after the join
// A third argument `memory` keeps the store in memory (no file I/O): not a durable configuration, only
// a way to show how much of the per-step figure the store's file writes take. `traced` (third or fourth argument)
// installs the run tracing (OpenTelemetry SDK, docs/observability.md) exporting to a local OTLP/HTTP sink in this
// process that answers every export at once: what tracing adds per step.
// Compiling the flow is not timed; a warm-up run of the same flow in another store comes first, as for
// every system measured. Prints one JSON line: {system, shape, n, totalMs, perStepUs, …}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { installRunTelemetry, SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';
import { createOtelTelemetry } from '../../packages/runtime/src/telemetry/otel-telemetry.js';
import type { RunEvent } from '../../packages/protocol/src/index.js';

const [shape, nText, storeKind] = process.argv.slice(2);
const inMemory = storeKind === 'memory';
const traced = process.argv.slice(4).includes('traced') || storeKind === 'traced';
const n = Number(nText);
if (!['chain', 'parallel'].includes(shape) || !Number.isInteger(n) || n < 1) {
  console.error('usage: baton-runtime.ts chain|parallel <n>');
  process.exit(2);
}

function flowText(): string {
  const lines = ['agent Worker {', '  output: { text: string, score: number }', '  stub: { text: "done", score: 1 }', '}', '', 'flow Bench {', '  output last: string'];
  if (shape === 'chain') {
    for (let i = 0; i < n; i++) lines.push(`  step s${i}: Worker { prompt: "step ${i}" }`);
    lines.push(`  set output.last = s${n - 1}.output.text`);
  } else {
    lines.push('  parallel {');
    for (let i = 0; i < n; i++) lines.push(`    step b${i}: Worker { prompt: "branch ${i}" }`);
    lines.push('  }');
    lines.push(`  step after: Worker { prompt: "joined \${b${n - 1}.output.text}" }`);
    lines.push('  set output.last = after.output.text');
  }
  lines.push('}', '');
  return lines.join('\n');
}

let sink: http.Server | undefined;
if (traced) {
  sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => sink!.listen(0, '127.0.0.1', resolve));
  const { port } = sink.address() as AddressInfo;
  installRunTelemetry(createOtelTelemetry({ tracesUrl: `http://127.0.0.1:${port}/v1/traces`, headers: {}, serviceName: 'bench' }));
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-rt-'));
try {
  const file = path.join(dir, 'bench.flow');
  writeFileSync(file, flowText());
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [file], { workspaceRoot: dir });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`generated flow has errors: ${errors.map((e) => e.message).join('; ')}`);
  const definition = services.Baton.ir.WorkflowBuilder.build(loaded.documents);

  // Warm-up in the same store (as LangGraph's warm-up uses the same checkpointer database): JIT, the
  // WASM module, SQLite's page cache, and the definition, which a store keeps once per distinct content.
  const store = SqliteRunStore.open(inMemory ? ':memory:' : path.join(dir, 'runs.db'));
  await startRun(definition, 'Bench', {}, { store });
  // Best of three measured runs (the machine is shared; the best run is the one least disturbed).
  let best: { totalMs: number; joinOverheadMs: number; events: number } | undefined;
  for (let round = 0; round < 3; round++) {
    let lastBranchFinished = 0n;
    let joinStarted = 0n;
    const onEvent = (event: RunEvent): void => {
      if (shape !== 'parallel') return;
      if (event.type === 'step.finished' && event.step.startsWith('b')) lastBranchFinished = process.hrtime.bigint();
      if (event.type === 'step.started' && event.step === 'after') joinStarted = process.hrtime.bigint();
    };
    const start = process.hrtime.bigint();
    const summary = await startRun(definition, 'Bench', {}, { store, onEvent });
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    const events = (await store.getEvents(summary.runId)).length;
    const expected = shape === 'chain' ? n : n + 1;
    if (summary.status !== 'succeeded' || summary.steps !== expected) {
      throw new Error(`run ended ${summary.status} after ${summary.steps} steps, expected succeeded after ${expected}`);
    }
    if (!best || totalMs < best.totalMs) best = { totalMs, joinOverheadMs: Number(joinStarted - lastBranchFinished) / 1e6, events };
  }
  await store.close();
  const { totalMs, joinOverheadMs, events } = best!;
  const expectedSteps = shape === 'chain' ? n : n + 1;
  const row: Record<string, unknown> = { system: `${inMemory ? 'baton-memory-store' : 'baton'}${traced ? '-traced' : ''}`, shape, n, totalMs, perStepUs: (totalMs * 1000) / expectedSteps, events };
  if (shape === 'parallel') row.joinOverheadMs = joinOverheadMs;
  console.log(JSON.stringify(row));
} finally {
  rmSync(dir, { recursive: true, force: true });
  sink?.close();
  sink?.closeAllConnections();
}
