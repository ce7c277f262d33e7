// `baton serve`'s layout thread: its own bundle (out/serve-layout.mjs, beside out/serve.mjs), holding @baton/graph
// and elkjs only. It folds a definition's graph as the console's run page does (panelFolds) and lays it out with
// layoutFlowGraph — the editor panel's layout — so the HTTP thread never waits for elkjs (layout-service.ts).
import { isMainThread, parentPort } from 'node:worker_threads';
import type { FlowGraph, WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph, geometryOf, layoutFlowGraph, panelFolds } from '@baton/graph';
import type { LayoutJob, LayoutReply } from './layout-service.js';

/** The graph of a job: given, or built from its definition. */
function graphOf(job: LayoutJob): FlowGraph {
  return job.graph ?? buildFlowGraph(job.definition as WorkflowDefinition, job.flow);
}

/** Folds and lays out one job's graph; never throws (an error is the reply's `error`). */
export async function layOut(job: LayoutJob): Promise<LayoutReply> {
  try {
    const graph = graphOf(job);
    const plan = panelFolds(graph);
    const folded = [...plan.drawn.folded].sort();
    if (!plan.fits) return { id: job.id, tooLarge: { nodes: graph.nodes.length, drawn: plan.drawn.graph.nodes.length }, folded };
    const layout = await layoutFlowGraph(plan.drawn.graph, { foldable: new Set(plan.regions.keys()) });
    const geometry = geometryOf(layout);
    return { id: job.id, folded, geometry, bytes: JSON.stringify(geometry).length };
  } catch (error) {
    return { id: job.id, error: (error as Error).message.split('\n')[0] };
  }
}

if (isMainThread || !parentPort) {
  process.stderr.write('baton: out/serve-layout.mjs is the layout thread of baton serve; run baton serve instead\n');
  process.exitCode = 2;
} else {
  const port = parentPort;
  port.on('message', (job: LayoutJob) => void layOut(job).then((reply) => port.postMessage(reply)));
}
