// LangGraph.js with its SQLite checkpointer (durability on): a chain of N no-op nodes, or a fan-out of
// N branches joined by one node. Prints one JSON line: {system, shape, n, totalMs, perStepUs}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

const [shape, nText] = process.argv.slice(2);
setMaxListeners(0); // LangGraph's fan-out adds a listener per branch; the warning is not ours to show
const n = Number(nText);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-lg-'));
const checkpointer = SqliteSaver.fromConnString(path.join(dir, 'lg.db'));

const State = Annotation.Root({
  count: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
});
const noop = async () => ({ count: 1 });

const graph = new StateGraph(State);
if (shape === 'chain') {
  for (let i = 0; i < n; i++) graph.addNode(`s${i}`, noop);
  graph.addEdge(START, 's0');
  for (let i = 1; i < n; i++) graph.addEdge(`s${i - 1}`, `s${i}`);
  graph.addEdge(`s${n - 1}`, END);
} else {
  graph.addNode('join', async () => ({ count: 0 }));
  for (let i = 0; i < n; i++) {
    graph.addNode(`b${i}`, noop);
    graph.addEdge(START, `b${i}`);
  }
  graph.addEdge(Array.from({ length: n }, (_, i) => `b${i}`), 'join');
  graph.addEdge('join', END);
}
const app = graph.compile({ checkpointer });

// Warm up on a separate thread so JIT and the database are ready, as for every system measured.
await app.invoke({ count: 0 }, { configurable: { thread_id: 'warm' }, recursionLimit: n + 10 });
let totalMs = Infinity; // best of three, as for every system measured
for (let round = 0; round < 3; round++) {
  const start = process.hrtime.bigint();
  const result = await app.invoke({ count: 0 }, { configurable: { thread_id: `measured-${round}` }, recursionLimit: n + 10 });
  totalMs = Math.min(totalMs, Number(process.hrtime.bigint() - start) / 1e6);
  if (result.count !== n) throw new Error(`LangGraph ran ${result.count} steps, expected ${n}`);
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ system: 'langgraph', shape, n, totalMs, perStepUs: (totalMs * 1000) / n }));
