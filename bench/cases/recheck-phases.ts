// In-process phases of one re-check of the generated N-step file (the language server's services, statement-only
// re-parse on): p50 of each phase over 20 edits after 10 warm-ups. Usage: node --import tsx bench/cases/recheck-phases.ts [5000]
import { EmptyFileSystem, TextDocument, URI } from 'langium';
import { createBatonServices } from '../../language/src/index.js';
import { generateFlow } from '../generate-flow.mjs';

const steps = Number(process.argv[2] ?? 5000);
const services = createBatonServices(EmptyFileSystem, { incrementalParse: true });
const shared = services.shared;
const uri = URI.parse('file:///bench/generated.flow');
let text = generateFlow(steps);
let version = 1;
shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', version, text));
const document = shared.workspace.LangiumDocumentFactory.fromTextDocument(shared.workspace.TextDocuments!.get(uri.toString())!);
shared.workspace.LangiumDocuments.addDocument(document);
const now = () => performance.now();
let t0 = now();
await shared.workspace.DocumentBuilder.build([document], { validation: true });
console.log(`first check ${(now() - t0).toFixed(0)} ms, ${document.diagnostics?.length} diagnostics`);

const phases: Record<string, number[]> = {};
let mark = 0;
let current: Record<string, number> = {};
const time = (name: string) => {
  const t = now();
  current[name] = (current[name] ?? 0) + t - mark;
  mark = t;
};
const builder = shared.workspace.DocumentBuilder;
for (const [state, name] of [[1, 'parse'], [2, 'index'], [3, 'scopes'], [4, 'link'], [5, 'refindex'], [6, 'validate']] as const) {
  builder.onDocumentPhase(state, () => time(name));
}
const mid = Math.floor(steps / 2) + 3;
const edits: Array<[string, string]> = [
  [`prompt: "Step ${mid} on`, `prompt: "Step ${mid} now on`],
  [`prompt: "Step ${mid} now on`, `prompt: "Step ${mid} on`],
  [`step s${mid}: Worker${mid % 10}`, `step s${mid}: WorkerX`],
  [`step s${mid}: WorkerX`, `step s${mid}: Worker${mid % 10}`],
];
const totals: number[] = [];
for (let i = 0; i < 30; i++) {
  const [from, to] = edits[i % edits.length];
  text = text.replace(from, to);
  shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', ++version, text));
  current = {};
  t0 = now();
  mark = t0;
  await builder.update([uri], []);
  const total = now() - t0;
  if (i >= 10) {
    totals.push(total);
    for (const [k, v] of Object.entries(current)) (phases[k] ??= []).push(v);
  }
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1];
console.log(JSON.stringify({ steps, totalP50: +p50(totals).toFixed(1), totalP95: +p95(totals).toFixed(1), phasesP50: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +p50(v).toFixed(1)])), diagnostics: document.diagnostics?.length }));
console.log(`rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB heapUsed ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB`);
