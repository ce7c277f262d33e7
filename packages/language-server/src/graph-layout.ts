import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FlowGraph, GraphLayout } from '@baton/protocol';
import { foldRegions } from '@baton/graph';

/** A layout asked of the layout thread (graph-layout-worker.ts): the graph and the ids of its foldable regions. */
export interface LayoutJob {
  id: number;
  graph: FlowGraph;
  foldable: string[];
}

/** The layout thread's answer to job `id`: the layout, or why there is none. */
export type LayoutReply = { id: number; layout: GraphLayout } | { id: number; error: string };

/**
 * Lays graphs out for `baton/graph` requests that ask for it (`GraphParams.layout`: the graph panel's first drawing)
 * on a worker thread (out/graph-layout.cjs beside the server's bundle), started on the first such request and kept:
 * elkjs loads there in parallel with the panel's page, and stays warm. The layout is the panel's own for an unfolded
 * graph (`layoutFlowGraph` with every `foldRegions` id foldable), so the page draws it as it would its own.
 * Never rejects: without the worker file (the server run from source), or when the thread fails, the answer is
 * undefined and the page lays the graph out itself.
 */
export class GraphLayouts {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (layout: GraphLayout | undefined) => void>();

  /** @param file the worker's bundle (default: graph-layout.cjs beside the running server's bundle; none when run from source as ESM). */
  constructor(private readonly file: string | undefined = typeof __dirname === 'string' ? path.join(__dirname, 'graph-layout.cjs') : undefined) {}

  /** The unfolded layout of `graph` (px, as `layoutFlowGraph` returns it), or undefined (see the class). */
  layout(graph: FlowGraph): Promise<GraphLayout | undefined> {
    const worker = this.start();
    if (!worker) return Promise.resolve(undefined);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, graph, foldable: foldRegions(graph).map((r) => r.id) } satisfies LayoutJob);
    });
  }

  /** Stops the thread (pending layouts answer undefined). */
  dispose(): void {
    void this.worker?.terminate();
    this.stopped();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    if (!this.file || !existsSync(this.file)) return undefined;
    const worker = new Worker(this.file);
    // the server may exit while it runs: the thread never keeps it alive
    worker.unref();
    worker.on('message', (reply: LayoutReply) => {
      const resolve = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      resolve?.('layout' in reply ? reply.layout : undefined);
    });
    worker.on('error', () => this.stopped());
    worker.on('exit', () => this.stopped());
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: what waits answers undefined; the next layout starts a new one. */
  private stopped(): void {
    this.worker = undefined;
    for (const resolve of this.pending.values()) resolve(undefined);
    this.pending.clear();
  }
}
