// `baton serve`'s layout thread: its own bundle (out/serve-layout.mjs, beside out/serve.mjs), holding @baton/graph
// and elkjs only. It folds a definition's graph as the console's run page does (panelFolds) and lays it out with
// layoutFlowGraph — the editor panel's layout — so the HTTP thread never waits for elkjs (layout-service.ts).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, parentPort } from 'node:worker_threads';
import type { WorkflowDefinition } from '@baton/protocol';
import type * as Graph from '@baton/graph';
import type { LayoutJob, LayoutReply } from './layout-service.js';

/** @baton/graph with elkjs (~1.5 MB of code to compile), loaded at the first job — after {@link yieldToOtherThreads}. */
let graphModule: Promise<typeof Graph> | undefined;

/**
 * Lowers this thread's CPU priority to nice 10 (Linux: `setpriority` on the thread's id, read from
 * `/proc/thread-self`): a layout is background work, and on a busy small machine the threads answering requests and
 * executing runs go first — the layouts of the served flows, made at start, no longer slow the first requests' 202s.
 * On an idle machine it changes nothing. Best effort: elsewhere, or when not allowed, layouts keep the process's priority.
 */
function yieldToOtherThreads(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed
  }
}

/** Folds and lays out one job's graph; never throws (an error is the reply's `error`). */
export async function layOut(job: LayoutJob): Promise<LayoutReply> {
  try {
    const { buildFlowGraph, geometryOf, layoutFlowGraph, panelFolds } = await (graphModule ??= import('@baton/graph'));
    const graph = job.graph ?? buildFlowGraph(job.definition as WorkflowDefinition, job.flow);
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
  yieldToOtherThreads();
  port.on('message', (job: LayoutJob) => void layOut(job).then((reply) => port.postMessage(reply)));
}
