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
 * What {@link GraphLayouts.warmUp} lays out: a small flow with the shapes the panel's graphs have (a fork and its
 * join, a decision with labelled arms and its merge, a loop container with a child, a compensation), so the first
 * real layout finds elkjs' code for each of them compiled.
 */
export const WARM_UP_GRAPH: FlowGraph = {
  flow: 'WarmUp',
  nodes: [
    { id: 'W/start', kind: 'start', label: 'WarmUp' },
    { id: 'W/fork', kind: 'fork', label: 'parallel' },
    { id: 'W/a', kind: 'step', label: 'research', detail: 'Researcher' },
    { id: 'W/b', kind: 'step', label: 'score', detail: 'Scorer' },
    { id: 'W/join', kind: 'join', label: 'join' },
    { id: 'W/if', kind: 'decision', label: 'score > 5' },
    { id: 'W/c', kind: 'step', label: 'draft', detail: 'Writer' },
    { id: 'W/undo', kind: 'step', label: 'retract', detail: 'Writer' },
    { id: 'W/d', kind: 'approval', label: 'review', detail: 'sales' },
    { id: 'W/merge', kind: 'merge', label: 'merge' },
    { id: 'W/loop', kind: 'loop', label: 'for lead in leads' },
    { id: 'W/e', kind: 'step', label: 'send', detail: 'Mailer', parent: 'W/loop' },
    { id: 'W/end', kind: 'end', label: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'W/start', target: 'W/fork', kind: 'flow' },
    { id: 'e2', source: 'W/fork', target: 'W/a', kind: 'flow' },
    { id: 'e3', source: 'W/fork', target: 'W/b', kind: 'flow' },
    { id: 'e4', source: 'W/a', target: 'W/join', kind: 'flow' },
    { id: 'e5', source: 'W/b', target: 'W/join', kind: 'flow' },
    { id: 'e6', source: 'W/join', target: 'W/if', kind: 'flow' },
    { id: 'e7', source: 'W/if', target: 'W/c', kind: 'branch', label: 'then', branch: 0 },
    { id: 'e8', source: 'W/if', target: 'W/d', kind: 'branch', label: 'else', branch: 1 },
    { id: 'e9', source: 'W/undo', target: 'W/c', kind: 'compensation' },
    { id: 'e10', source: 'W/c', target: 'W/merge', kind: 'flow' },
    { id: 'e11', source: 'W/d', target: 'W/merge', kind: 'flow' },
    { id: 'e12', source: 'W/merge', target: 'W/loop', kind: 'flow' },
    { id: 'e13', source: 'W/loop', target: 'W/end', kind: 'flow' },
  ],
};

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

  /**
   * Starts the thread now and lays out a small graph ({@link WARM_UP_GRAPH}, the result unused), so elkjs is loaded and
   * its code compiled before the first real layout (which the thread then runs after this one). Once per thread; a
   * no-op when the thread is already running or there is no worker file.
   */
  warmUp(): void {
    if (this.worker) return;
    void this.layout(WARM_UP_GRAPH);
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
    // a thread stopped earlier (dispose) may exit after the next one started: only this one's end counts
    worker.on('error', () => this.worker === worker && this.stopped());
    worker.on('exit', () => this.worker === worker && this.stopped());
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
