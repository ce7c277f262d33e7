// Whole-process `baton run` vs LangGraph.js, per extra step (issue 15): a chain of `large` and of `small` steps, each run
// as a fresh process as a user runs it — `node out/cli.mjs run chain.flow` (stub agents, a new SQLite run store) and
// `node langgraph-process.mjs` (the same chain with LangGraph's SQLite checkpointer, a new database) — timed from
// spawn to exit. Per extra step = (T(large) − T(small)) / (large − small): start-up (loading, compiling, opening the
// store) cancels, what is left is what each step costs in a fresh process (checking the file, a cold JIT, the writes).
// Best of `rounds` processes per system and size (the four alternate within a round); CPU is user + sys of the child
// (from /proc/self/stat's cutime/cstime, 10 ms resolution).
// Usage: node bench/cases/run-process.mjs [large=1000] [small=10] [rounds=5]   (BATON_BENCH_CLI: another cli.mjs)
// Prints one JSON line per system ({system, shape: 'process-chain', n: large, totalMs, perStepUs, …}) and a ratio line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './bin-process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [large = 1000, small = 10, rounds = 5] = process.argv.slice(2).map(Number);

/**
 * A chain of `steps` stub steps, each prompt reading the previous step's output (the first the flow's input), the
 * flow's output the last step's: the shape langgraph-process.mjs builds.
 */
function chainFlow(steps) {
  const lines = ['agent Worker {', '  model: "openai/gpt-4o-mini"', '  output: { text: string }', '  stub: { text: "w" }', '}', '', 'flow Chain {', '  input topic: string = "bench"', '  output last: string', ''];
  for (let i = 0; i < steps; i++) lines.push(`  step s${i}: Worker { prompt: "Step ${i} ${i === 0 ? 'on ${input.topic}' : `after \${s${i - 1}.output.text}`}" }`);
  lines.push(`  set output.last = s${steps - 1}.output.text`, '}', '');
  return lines.join('\n');
}

/** Children's CPU so far (user + sys, ms) of this process, from /proc (Linux); NaN elsewhere. */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime, cstime (fields 16, 17) in clock ticks
  } catch {
    return NaN;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-process-'));
const flows = {};
for (const steps of [small, large]) writeFileSync((flows[steps] = path.join(dir, `chain-${steps}.flow`)), chainFlow(steps));

/** One whole process of `system` on `steps` steps, a fresh store: {wallMs, cpuMs}. */
function runOnce(system, steps, round) {
  const work = mkdtempSync(path.join(dir, `${system}-${steps}-${round}-`));
  const args = system === 'baton' ? [cli, 'run', flows[steps], '--store', path.join(work, 'runs.db')] : [path.join(here, 'langgraph-process.mjs'), String(steps), work];
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  // (cwd in the temp folder for both: never a process that /work/freeze.sh-style tools stop with the worktree's)
  const result = spawnSync(process.execPath, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuMs = childrenCpuMs() - cpuBefore;
  if (result.status !== 0) throw new Error(`${system} ${steps} steps exited with ${result.status}: ${result.stderr}`);
  rmSync(work, { recursive: true, force: true });
  return { wallMs, cpuMs };
}

const times = { baton: { [small]: [], [large]: [] }, langgraph: { [small]: [], [large]: [] } };
const loads = [];
for (let round = 0; round < rounds; round++) {
  loads.push(loadavg()[0]);
  for (const system of ['baton', 'langgraph']) for (const steps of [small, large]) times[system][steps].push(runOnce(system, steps, round));
}
rmSync(dir, { recursive: true, force: true });

const best = (list, key) => Math.min(...list.map((t) => t[key]));
const rows = {};
for (const system of ['baton', 'langgraph']) {
  const t = times[system];
  const perStepUs = ((best(t[large], 'wallMs') - best(t[small], 'wallMs')) * 1000) / (large - small);
  const cpuPerStepUs = ((best(t[large], 'cpuMs') - best(t[small], 'cpuMs')) * 1000) / (large - small);
  rows[system] = { system: `${system}-process`, shape: 'process-chain', n: large, small, totalMs: best(t[large], 'wallMs'), smallMs: best(t[small], 'wallMs'), perStepUs, cpuPerStepUs, cpuMs: best(t[large], 'cpuMs'), smallCpuMs: best(t[small], 'cpuMs'), runsMs: t[large].map((r) => Math.round(r.wallMs)), smallRunsMs: t[small].map((r) => Math.round(r.wallMs)), loadAverage: loads.map((l) => l.toFixed(1)).join('–') };
  console.log(JSON.stringify(rows[system]));
}
console.log(JSON.stringify({ system: 'ratio', shape: 'process-chain', n: large, langgraphOverBaton: rows.langgraph.perStepUs / rows.baton.perStepUs, langgraphOverBatonCpu: rows.langgraph.cpuPerStepUs / rows.baton.cpuPerStepUs }));
