// The graph panel's speed (bench, never a timed test):
//   layout + SVG of generated graphs of 100, 500 and 1,000 nodes (test/graph/generate-graph.ts: chains,
//   decisions with 2–4 arms, parallels, loop containers, compensation) and of generated flows of N steps
//   (bench/generate-flow.mjs → the language → IR → buildFlowGraph), best of 3 after a warm-up;
//   edit → graph for a 100-step flow: a one-line edit, the re-check and IR (what `baton/graph` does in the
//   language server), buildFlowGraph, layout and SVG — best of 5.
// Prints one JSON line per case. Usage: node --import tsx bench/cases/graph-layout.ts [sizes…]
import { EmptyFileSystem, URI } from 'langium';
import { createBatonServices } from '../../language/src/index.js';
import { buildFlowGraph, layoutFlowGraph, renderSvg } from '../../packages/graph/src/index.js';
import { flowGraphOf } from '../../packages/language-server/src/baton-graph-request.js';
import type { FlowGraph } from '../../packages/protocol/src/index.js';
import { generateGraph } from '../../test/graph/generate-graph.js';
import { generateFlow } from '../generate-flow.mjs';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

async function time(graph: FlowGraph, runs = 3): Promise<{ layoutMs: number; svgMs: number }> {
  await layoutFlowGraph(graph); // warm-up (JIT, elkjs load)
  let best = { layoutMs: Infinity, svgMs: Infinity };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const layout = await layoutFlowGraph(graph);
    const t1 = performance.now();
    renderSvg(layout);
    const t2 = performance.now();
    if (t2 - t0 < best.layoutMs + best.svgMs) best = { layoutMs: t1 - t0, svgMs: t2 - t1 };
  }
  return best;
}

const services = createBatonServices(EmptyFileSystem);
let counter = 0;
async function flowDocument(text: string) {
  const uri = URI.parse(`file:///bench/graph-${counter++}.flow`);
  const document = services.shared.workspace.LangiumDocumentFactory.fromString(text, uri);
  services.shared.workspace.LangiumDocuments.addDocument(document);
  await services.shared.workspace.DocumentBuilder.build([document], { validation: true });
  return document;
}

for (const n of sizes.length ? sizes : [100, 500, 1000]) {
  const mixed = generateGraph(n, n);
  const m = await time(mixed);
  console.log(JSON.stringify({ system: 'graph-layout', shape: 'mixed', n: mixed.nodes.length, totalMs: m.layoutMs + m.svgMs, perStepUs: ((m.layoutMs + m.svgMs) * 1000) / mixed.nodes.length, layoutMs: m.layoutMs, svgMs: m.svgMs }));
  const document = await flowDocument(generateFlow(n));
  const definition = services.Baton.ir.WorkflowBuilder.build([document]);
  const chain = buildFlowGraph(definition, 'Generated');
  const c = await time(chain);
  console.log(JSON.stringify({ system: 'graph-layout', shape: 'flow', n: chain.nodes.length, totalMs: c.layoutMs + c.svgMs, perStepUs: ((c.layoutMs + c.svgMs) * 1000) / chain.nodes.length, layoutMs: c.layoutMs, svgMs: c.svgMs }));
}

// Edit → updated graph, 100-step flow: the server's part (re-parse, link, validate the edited document, IR,
// graph — what the server does after a change) and the page's (layout + SVG).
{
  const text = generateFlow(100);
  const uri = URI.parse('file:///bench/edit.flow');
  const documents = services.shared.workspace.LangiumDocuments;
  const load = async (content: string) => {
    if (documents.hasDocument(uri)) documents.deleteDocument(uri);
    const document = services.shared.workspace.LangiumDocumentFactory.fromString(content, uri);
    documents.addDocument(document);
    await services.shared.workspace.DocumentBuilder.build([document], { validation: true });
    return document;
  };
  const first = await load(text);
  await layoutFlowGraph(flowGraphOf(first, [first], services.Baton).graph!);
  let best = { totalMs: Infinity, serverMs: 0, layoutMs: 0 };
  for (let i = 0; i < 5; i++) {
    const edited = text.replace('    timeout: 30s', `    timeout: ${i + 31}s`);
    const t0 = performance.now();
    const document = await load(edited);
    const result = flowGraphOf(document, [document], services.Baton);
    const t1 = performance.now();
    const layout = await layoutFlowGraph(result.graph!);
    renderSvg(layout, { standalone: false });
    const t2 = performance.now();
    if (t2 - t0 < best.totalMs) best = { totalMs: t2 - t0, serverMs: t1 - t0, layoutMs: t2 - t1 };
  }
  console.log(JSON.stringify({ system: 'graph-edit', shape: 'flow', n: 100, totalMs: best.totalMs, perStepUs: (best.totalMs * 1000) / 100, serverMs: best.serverMs, layoutMs: best.layoutMs }));
}
