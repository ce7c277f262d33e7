// The console's graph layouts, computed by `baton serve` once per definition: the run page of a 1,000-step flow then
// draws without elkjs (its chunk is not even loaded). Layouts run on one worker thread (layout-worker.ts), one at a
// time, so the HTTP thread never blocks; requests go before the background pass over the served flows, which lays
// each one out at start. Results are kept in memory by `<definition hash>#<flow>`, least recently used dropped
// beyond a byte budget.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FlowGraph, GraphGeometry, WorkflowDefinition } from '@baton/protocol';
import { definitionHash } from '@baton/runtime';

/** What the layout thread is asked: lay out `graph`, or the graph of `flow` in `definition`. */
export interface LayoutJob {
  id: number;
  flow: string;
  graph?: FlowGraph;
  definition?: WorkflowDefinition;
}

/**
 * What a layout came to. `folded`: the regions folded first (panelFolds; sorted ids), `geometry` the drawing's
 * (`bytes`: its JSON length); or `tooLarge` (nodes of the graph, and once folded) — too large to draw; or `error`
 * (the first line of elkjs' or the graph's error).
 */
export type LayoutOutcome =
  | { folded: string[]; geometry: GraphGeometry; bytes: number }
  | { folded: string[]; tooLarge: { nodes: number; drawn: number } }
  | { error: string };

/** The layout thread's answer to job `id`. */
export type LayoutReply = { id: number } & LayoutOutcome;

/** Options of {@link GraphLayouts}. */
export interface GraphLayoutsOptions {
  /** The layout thread's entry (default: serve-layout.mjs beside this bundle, or layout-worker.ts under tsx). */
  script?: URL;
  /** Bytes of geometry (JSON) kept in memory; beyond, the least recently used go. Default 64 MiB. */
  maxBytes?: number;
  /** A layout still running after this long (ms) is stopped and reported as an error. Default 60,000. */
  maxLayoutMs?: number;
  log?: (line: string) => void;
}

interface Pending {
  key: string;
  job: Omit<LayoutJob, 'id'>;
  background: boolean;
  settle: ((outcome: LayoutOutcome) => void)[];
  promise: Promise<LayoutOutcome>;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The layout thread's script: the bundle beside this one, or, from the sources under tsx, layout-worker.ts. */
function defaultScript(): URL {
  const bundled = new URL('./serve-layout.mjs', import.meta.url);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL('./layout-worker.ts', import.meta.url);
}

/** Starts the layout thread on `script`; a `.ts` one (the sources, under tsx: tests) registers tsx's loader first. */
function spawn(script: URL): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(script.href)}))`, { eval: true });
}

/**
 * Layouts of definition graphs, by `<definition hash>#<flow>` ({@link GraphLayouts.key}), each computed once: a
 * second request for a key gets the kept outcome, or joins the layout under way.
 */
export class GraphLayouts {
  /** Outcomes by key, least recently used first. */
  private readonly done = new Map<string, { outcome: LayoutOutcome; bytes: number }>();
  private keptBytes = 0;
  private readonly queue: Pending[] = [];
  private readonly pending = new Map<string, Pending>();
  private running: { pending: Pending; id: number; timer: NodeJS.Timeout } | undefined;
  private worker: Worker | undefined;
  private nextId = 1;
  private closed = false;
  /** How many layouts were started on the thread (each key once, unless dropped from memory or stopped for a request). */
  started = 0;
  private readonly maxBytes: number;
  private readonly maxLayoutMs: number;

  constructor(private readonly options: GraphLayoutsOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxLayoutMs = options.maxLayoutMs ?? 60_000;
  }

  /** The key of a definition's flow: `<definition hash>#<flow>`. */
  static key(hash: string, flow: string): string {
    return `${hash}#${flow}`;
  }

  /** The kept outcome of `key`, if any (marks it recently used). */
  cached(key: string): LayoutOutcome | undefined {
    const entry = this.done.get(key);
    if (!entry) return undefined;
    this.done.delete(key);
    this.done.set(key, entry);
    return entry.outcome;
  }

  /**
   * The layout of `key`: kept, under way, or started now (`job`: the graph, or the definition to build it from).
   * A request (`background` false) goes before every background layout, and one running is stopped for it and
   * queued again. Never rejects.
   */
  layout(key: string, job: Omit<LayoutJob, 'id'>, background = false): Promise<LayoutOutcome> {
    const kept = this.cached(key);
    if (kept) return Promise.resolve(kept);
    const under = this.pending.get(key);
    if (under) {
      if (!background && under.background) {
        under.background = false;
        const at = this.queue.indexOf(under);
        if (at >= 0) {
          this.queue.splice(at, 1);
          this.enqueue(under);
        }
      }
      return under.promise;
    }
    if (this.closed) return Promise.resolve({ error: 'the server is stopping' });
    const settle: Pending['settle'] = [];
    const pending: Pending = { key, job, background, settle, promise: new Promise<LayoutOutcome>((resolve) => settle.push(resolve)) };
    this.pending.set(key, pending);
    this.enqueue(pending);
    // a background layout running is stopped for a request (it is laid out again after)
    if (!background && this.running?.pending.background) this.preempt();
    this.pump();
    return pending.promise;
  }

  /** Whether a layout is running on the thread or queued. */
  busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  /** Stops the thread: layouts under way are answered with an error. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (this.running) clearTimeout(this.running.timer);
    for (const p of [...this.queue, ...(this.running ? [this.running.pending] : [])]) this.finish(p, { error: 'the server is stopping' }, false);
    this.queue.length = 0;
    this.running = undefined;
    await worker?.terminate();
  }

  /** Queues `pending`: requests in their order, before every background layout. */
  private enqueue(pending: Pending): void {
    const firstBackground = this.queue.findIndex((p) => p.background);
    if (pending.background || firstBackground < 0) this.queue.push(pending);
    else this.queue.splice(firstBackground, 0, pending);
  }

  private preempt(): void {
    const running = this.running!;
    clearTimeout(running.timer);
    this.running = undefined;
    this.queue.push(running.pending);
    void this.stopWorker();
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = spawn(this.options.script ?? defaultScript());
    worker.unref();
    worker.on('message', (reply: LayoutReply) => {
      if (this.worker !== worker || !this.running || reply.id !== this.running.id) return;
      const { pending, timer } = this.running;
      clearTimeout(timer);
      this.running = undefined;
      const { id: _id, ...outcome } = reply;
      this.finish(pending, outcome, true);
      this.pump();
    });
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const running = this.running;
      this.running = undefined;
      if (running) {
        clearTimeout(running.timer);
        this.finish(running.pending, { error: `the layout thread stopped: ${why}` }, true);
      }
      this.pump();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      if (this.running?.id !== id) return;
      this.running = undefined;
      this.finish(next, { error: `the layout took longer than ${this.maxLayoutMs} ms` }, true);
      void this.stopWorker().then(() => this.pump());
    }, this.maxLayoutMs);
    timer.unref();
    this.running = { pending: next, id, timer };
    this.started++;
    this.thread().postMessage({ id, ...next.job } satisfies LayoutJob);
  }

  private finish(pending: Pending, outcome: LayoutOutcome, keep: boolean): void {
    this.pending.delete(pending.key);
    if (keep) {
      const bytes = 'bytes' in outcome ? outcome.bytes : 256;
      if (bytes <= this.maxBytes) {
        this.done.set(pending.key, { outcome, bytes });
        this.keptBytes += bytes;
        for (const [key, entry] of this.done) {
          if (this.keptBytes <= this.maxBytes) break;
          this.done.delete(key);
          this.keptBytes -= entry.bytes;
        }
      }
      if ('error' in outcome) this.options.log?.(`graph layout of ${pending.key}: ${outcome.error}`);
    }
    for (const resolve of pending.settle) resolve(outcome);
  }
}

/**
 * The background pass of `baton serve`'s start: `delayMs` after it (the start's own work — compiling, the executor
 * thread resuming runs — goes first on a small machine; a request before then lays its graph out at once), queues a layout of every served flow (once per definition and
 * flow) behind any request, so the first page that opens a run of one finds its layout made.
 */
export function layOutServedFlows(layouts: GraphLayouts, served: readonly { definition: WorkflowDefinition; flow: { name: string } }[], delayMs = 5000): void {
  const timer = setTimeout(() => {
    const seen = new Set<string>();
    for (const entry of served) {
      const key = GraphLayouts.key(definitionHash(entry.definition), entry.flow.name);
      if (seen.has(key)) continue;
      seen.add(key);
      void layouts.layout(key, { flow: entry.flow.name, definition: entry.definition }, true);
    }
  }, delayMs);
  timer.unref();
}
