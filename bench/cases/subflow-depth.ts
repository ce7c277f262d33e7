// What a sub-flow level costs: the runtime starts each sub-flow's body on a fresh stack (one awaited microtask,
// engine/subflow.ts freshStack) so that a recursion of limits.maxFlowDepth levels cannot overflow the stack.
//   node --import tsx bench/cases/subflow-depth.ts [rounds]
// Cases, each on an in-memory SQLite run store after one warm-up run, best and median of `rounds` (default 30):
//   plain 10     — 10 sequential stub-agent steps, no sub-flow (never reaches the boundary: its cost there is nil)
//   recursion N  — a flow calling itself N levels deep (N = 100 and 1000, limits.maxFlowDepth 1000)
// Prints one JSON line per case: {case, n, bestMs, medianMs, perLevelUs}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { SqliteRunStore, startRun } from '../../packages/runtime/src/index.js';

const rounds = Number(process.argv[2] ?? 30);
const steps = Array.from({ length: 10 }, (_, i) => `  step s${i}: Worker { prompt: "step ${i}" }`).join('\n');
const text = `
agent Worker { stub: "done" }
flow Plain {
${steps}
}
flow Count {
  input n: number
  output total: number
  if input.n > 0 {
    step next: Count { input: { n: input.n - 1 } }
    set output.total = (next.output.total ?? 0) + 1
  } else {
    set output.total = 0
  }
}
`;

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-depth-'));
try {
  const file = path.join(dir, 'bench.flow');
  writeFileSync(file, text);
  const services = createBatonServices(NodeFileSystem);
  const loaded = await loadWorkspace(services, [file], { workspaceRoot: dir });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`bench flow has errors: ${errors.map((e) => e.message).join('; ')}`);
  const definition = services.Baton.ir.WorkflowBuilder.build(loaded.documents);
  const store = SqliteRunStore.open(':memory:');
  const cases: { name: string; flow: string; n: number; inputs: Record<string, unknown> }[] = [
    { name: 'plain', flow: 'Plain', n: 10, inputs: {} },
    { name: 'recursion', flow: 'Count', n: 100, inputs: { n: 100 } },
    { name: 'recursion', flow: 'Count', n: 1000, inputs: { n: 1000 } },
  ];
  for (const c of cases) {
    const once = async (): Promise<number> => {
      const start = process.hrtime.bigint();
      const summary = await startRun(definition, c.flow, c.inputs, { store, maxFlowDepth: 1000 });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (summary.status !== 'succeeded') throw new Error(`${c.name} ${c.n} ended ${summary.status}: ${summary.error?.message}`);
      return ms;
    };
    await once();
    const times: number[] = [];
    for (let i = 0; i < (c.n === 1000 ? Math.max(3, Math.floor(rounds / 10)) : rounds); i++) times.push(await once());
    times.sort((a, b) => a - b);
    const bestMs = times[0];
    const medianMs = times[Math.floor(times.length / 2)];
    console.log(JSON.stringify({ case: c.name, n: c.n, bestMs: +bestMs.toFixed(3), medianMs: +medianMs.toFixed(3), perLevelUs: c.name === 'recursion' ? +((medianMs * 1000) / c.n).toFixed(1) : undefined }));
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
