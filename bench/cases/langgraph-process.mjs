// One whole LangGraph.js process, as a user runs a script: builds a chain of N nodes with its SQLite checkpointer
// (durability on, a new database file in `dir`), invokes it once and exits — no warm-up, the JIT as cold as a fresh
// `baton run`. The same shape as run-process.mjs's Baton flow: each node reads the previous node's output, builds its
// prompt from it and returns a stub answer. Usage: node bench/cases/langgraph-process.mjs <steps> <dir>.
// Run by cases/run-process.mjs (which times the whole process); prints nothing on success.
import path from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

const [nText, dir] = process.argv.slice(2);
const n = Number(nText);
const checkpointer = SqliteSaver.fromConnString(path.join(dir, 'lg.db'));

const State = Annotation.Root({
  topic: Annotation(),
  last: Annotation(),
  prompt: Annotation(),
  count: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
});
/** Node i: the prompt from the previous node's output (the input's topic for the first), a stub answer. */
const step = (i) => async (state) => ({ prompt: i === 0 ? `Step 0 on ${state.topic}` : `Step ${i} after ${state.last}`, last: 'w', count: 1 });

const graph = new StateGraph(State);
for (let i = 0; i < n; i++) graph.addNode(`s${i}`, step(i));
graph.addEdge(START, 's0');
for (let i = 1; i < n; i++) graph.addEdge(`s${i - 1}`, `s${i}`);
graph.addEdge(`s${n - 1}`, END);
const app = graph.compile({ checkpointer });
const result = await app.invoke({ topic: 'bench', count: 0 }, { configurable: { thread_id: 'run' }, recursionLimit: n + 10 });
if (result.count !== n || result.last !== 'w') throw new Error(`LangGraph ran ${result.count} steps, expected ${n}`);
