/**
 * The language server's layout thread (bundled by esbuild.mjs into out/graph-layout.cjs): lays flow graphs out with
 * @baton/graph's `layoutFlowGraph` (elkjs, read from out/webview/elk.js) off the server's thread, so a layout never
 * holds up a re-check. Messages in: `{ id, graph, foldable }` ({@link LayoutJob}); out: `{ id, layout }` or
 * `{ id, error }` (ELK's first line). Started by graph-layout.ts.
 */
import { parentPort } from 'node:worker_threads';
import { layoutFlowGraph } from '@baton/graph';
import type { LayoutJob, LayoutReply } from './graph-layout.js';

parentPort?.on('message', (job: LayoutJob) => {
  layoutFlowGraph(job.graph, { foldable: new Set(job.foldable) }).then(
    (layout) => parentPort!.postMessage({ id: job.id, layout } satisfies LayoutReply),
    (error: unknown) => parentPort!.postMessage({ id: job.id, error: (error as Error).message } satisfies LayoutReply),
  );
});
