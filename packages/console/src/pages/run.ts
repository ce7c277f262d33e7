// `#/runs/<id>[?step=<key>]`: one run — its header (flow, status, times, tokens, cost, SLA, trace, actions), its graph
// coloured live (the editor panel's renderer), and tabs: Timeline, Step, Source, Events. Built on the protocol's run
// model: the events are folded by `foldRunEvent` (the page's model; the graph's RunOverlay folds them the same way).
import { html, nothing, type PropertyValues } from 'lit';
import '@baton/webview/graph-view.css';
import '../run-page.css';
import type { FlowGraph, RunEvent } from '@baton/protocol';
import { elapsedMs, foldRunEvent, formatCost, formatDuration, formatTimestamp, formatTokens, runStateFrom, runTimeline, type RunModel } from '@baton/protocol/run-view';
import { ApiError, get, newActionId, post } from '../api.js';
import { follow } from '../live.js';
import { awaitedEvents, sendEvent } from '../actions.js';
import { href } from '../router.js';
import { may } from '../session.js';
import type { RunSummary } from '../wire.js';
import { RunGraph, type ServedLayout } from '../run-graph.js';
import { TimelineView } from '../timeline.js';
import { parallelBranches, type TimelineGroup } from '../timeline-branches.js';
import { SourceView, type SourceFileView } from '../source-view.js';
import { writtenFlows } from '../run-generated.js';
import { EventsView } from '../run-events.js';
import { stepDetail } from '../run-step.js';
import { ConsolePage } from './page.js';

/** How many events one `GET /runs/<id>/events` page asks for (the server's most). */
const EVENTS_PAGE = 5000;

/** `GET /runs/<id>?events=0`: the run and what the server adds for the console (trace). */
interface RunAnswer {
  run: RunSummary & { slaBreachedAt?: string };
  traceId?: string;
  traceUrl?: string;
}

/** `GET /runs/<id>/definition` (packages/cli/src/serve/definition-route.ts). */
interface DefinitionAnswer {
  hash: string;
  flow: string;
  graph: FlowGraph;
  sources: SourceFileView[];
  sourceError?: { code: string; message: string };
  /** The graph's geometry laid out by the server (absent: `layoutNote` says why; the page lays it out itself). */
  layout?: ServedLayout;
  layoutNote?: string;
  /** The server is still laying the graph out: `?only=layout` asks it again. */
  layoutPending?: boolean;
}

/**
 * How many more times the page asks for a layout the server is still making (each answer waits up to the server's
 * budget, 3 s by default) before it lays the graph out itself: the server, already at it, is sooner.
 */
const LAYOUT_ASKS = 3;

type Tab = 'timeline' | 'step' | 'source' | 'events';
const TABS: [Tab, string][] = [
  ['timeline', 'Timeline'],
  ['step', 'Step'],
  ['source', 'Source'],
  ['events', 'Events'],
];

/** Performance marks the bench reads (bench/cases/console-run-page.mjs): the graph and the timeline painted. */
export const RUN_PAGE_MARKS = { graph: 'baton:run-graph-painted', timeline: 'baton:run-timeline-painted' } as const;

/** The run page. */
export class RunPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, tick: { state: true } };
  /** Bumped to re-render after the model changed (the model itself is mutated in place by the fold). */
  declare tick: number;
  private runId: string | undefined;
  private answer: RunAnswer | undefined;
  private status: string | undefined;
  private problem: string | undefined;
  private gone: string | undefined;
  private definition: DefinitionAnswer | undefined;
  /** The definition's `parallel` branches by node, for the timeline's headings (known once the definition is). */
  private branches: Map<string, TimelineGroup> | undefined;
  private definitionProblem: string | undefined;
  private graphMessage: string | undefined;
  private actionProblem: string | undefined;
  private tab: Tab = 'timeline';
  private selected: string | undefined;
  private graph: RunGraph | undefined;
  private timeline: TimelineView | undefined;
  private source: SourceView | undefined;
  private events: EventsView | undefined;
  /** Stops following the run on the tab's shared live stream (live.ts); set while the page follows one. */
  private unfollow: (() => void) | undefined;
  private fold: RunModel | undefined;
  /** Every event of the run read so far, in seq order. */
  private received: RunEvent[] = [];
  private frame = 0;
  private load = 0;

  constructor() {
    super();
    this.tick = 0;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopFollowing();
    this.runId = undefined;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (!this.timeline) {
      this.timeline = new TimelineView(this.el('.rp-timeline'), { select: (key) => this.choose(key, true) });
      this.source = new SourceView(this.el('.rp-source'));
      this.events = new EventsView(this.el('.rp-events'));
    }
    if (this.params.id !== this.runId) void this.open(this.params.id);
    else if (changed.has('query') && this.query.get('step') && this.query.get('step') !== this.selected) this.choose(this.query.get('step')!, false);
  }

  private el(selector: string): HTMLElement {
    return this.querySelector<HTMLElement>(selector)!;
  }

  /** The run model (the protocol's fold of the run's events, live ones included). */
  private get model(): RunModel | undefined {
    return this.fold;
  }

  /**
   * Loads run `id`: its record and events, and its definition, in parallel. The
   * header, timeline and events are drawn as soon as the run is read; the graph when the definition is (its overlay
   * folds the same events). Then the live stream is opened.
   */
  private async open(id: string): Promise<void> {
    const turn = ++this.load;
    this.runId = id;
    this.stopFollowing();
    this.graph = undefined;
    this.branches = undefined;
    this.fold = undefined;
    this.received = [];
    Object.assign(this, { answer: undefined, problem: undefined, gone: undefined, definition: undefined, definitionProblem: undefined, graphMessage: undefined, selected: this.query.get('step') ?? undefined });
    this.el('.rp-graph').replaceChildren();
    this.el('.rp-generated').replaceChildren();
    this.tick++;
    const runRead = get<RunAnswer>(`/runs/${encodeURIComponent(id)}?events=0`);
    const firstPage = this.eventsPage(id, 0);
    // with the graph's layout, made by the server (elkjs' chunk is loaded only when it could not send one)
    const definitionRead = get<DefinitionAnswer>(`/runs/${encodeURIComponent(id)}/definition`);
    let answer: RunAnswer;
    try {
      answer = await runRead;
    } catch (error) {
      if (turn !== this.load) return;
      if (error instanceof ApiError && error.code === 'RUN_NOT_FOUND') this.gone = `Run ${id} is not in this store: it was deleted, or it never existed.`;
      else this.problem = error instanceof ApiError ? error.message : String(error);
      this.tick++;
      definitionRead.catch(() => undefined);
      firstPage.catch(() => undefined);
      return;
    }
    if (turn !== this.load) return;
    this.answer = answer;
    this.status = answer.run.status;
    this.fold = runStateFrom([]);
    this.events!.reset([]);
    // the log in pages (GET /runs/<id>/events), each folded and drawn as it comes; then the live stream after it
    try {
      for (let page = await firstPage; ; ) {
        if (turn !== this.load) return;
        this.take(page.events);
        this.redraw();
        this.tick++;
        if (page.next === undefined) break;
        page = await this.eventsPage(id, page.next);
      }
    } catch (error) {
      if (turn !== this.load) return;
      this.problem = error instanceof ApiError ? error.message : String(error);
      this.tick++;
    }
    // the log was read beside the run, so it may be newer: a run read `running` whose log already ends at run.waiting
    // (or its end) is waiting — the stream starts after that event and would never say so. The fold knows no queued or
    // interrupted run: their stored status stands while the log shows nothing past running.
    const folded = this.fold.status;
    if (this.fold.lastSeq > 0 && (folded !== 'running' || (this.status !== 'queued' && this.status !== 'interrupted'))) this.status = folded;
    requestAnimationFrame(() => performance.mark(RUN_PAGE_MARKS.timeline));
    this.listen(id);
    let definition: DefinitionAnswer | undefined;
    try {
      definition = await definitionRead;
    } catch (error) {
      if (turn !== this.load) return;
      this.definitionProblem = error instanceof ApiError ? error.message : String(error);
    }
    if (turn !== this.load) return;
    this.definition = definition;
    if (definition) {
      this.branches = parallelBranches(definition.graph);
      if (this.branches.size) this.redraw();
    }
    this.source!.setFiles(definition?.sources ?? [], definition?.sourceError?.message ?? this.definitionProblem);
    if (!definition) {
      requestAnimationFrame(() => performance.mark(RUN_PAGE_MARKS.graph, { detail: { nodes: 0 } }));
      if (this.selected) this.choose(this.selected, false);
      this.tick++;
      return;
    }
    const graph = new RunGraph(this.el('.rp-graph'), definition.graph, definition.hash, {
      pick: (node) => this.pickNode(node),
      drawn: (result) => {
        if ('message' in result) this.graphMessage = result.message;
        else requestAnimationFrame(() => performance.mark(RUN_PAGE_MARKS.graph, { detail: result }));
        this.tick++;
      },
    }, definition.layout);
    this.graph = graph;
    graph.apply(this.received);
    if (this.selected) this.choose(this.selected, false);
    this.tick++;
    let pending = definition.layoutPending === true;
    for (let ask = 0; pending && ask < LAYOUT_ASKS; ask++) {
      const again = await get<Pick<DefinitionAnswer, 'layout' | 'layoutPending'>>(`/runs/${encodeURIComponent(id)}/definition?only=layout`).catch(() => undefined);
      if (turn !== this.load) return;
      if (again?.layout) graph.serve(again.layout);
      pending = again?.layoutPending === true;
    }
    await graph.show();
    await this.showWritten(id, turn, definition);
  }

  /** The flows agents wrote in this run (run-generated.ts): their sources as more Source tabs, their graphs under the run's. */
  private async showWritten(id: string, turn: number, definition: DefinitionAnswer): Promise<void> {
    const written = await writtenFlows(id, this.received);
    if (turn !== this.load || written.length === 0) return;
    this.source!.setFiles([...definition.sources, ...written.flatMap((w) => w.sources)], definition.sourceError?.message);
    const host = this.el('.rp-generated');
    for (const w of written) {
      const heading = document.createElement('h3');
      heading.className = 'rp-generated-title';
      heading.textContent = `Flow written by step ${w.step}: ${w.flow}`;
      const canvas = document.createElement('div');
      canvas.className = 'rp-generated-graph canvas';
      canvas.setAttribute('role', 'application');
      canvas.setAttribute('aria-label', `The graph of ${w.flow}, the flow step ${w.step} wrote`);
      host.append(heading, canvas);
      const graph = new RunGraph(canvas, w.graph, w.hash, { pick: (node) => this.pickNode(node), drawn: () => this.tick++ });
      graph.apply(this.received);
      await graph.show();
    }
  }

  /** One page of the run's log after seq `after` (`GET /runs/<id>/events`, at most {@link EVENTS_PAGE}). */
  private eventsPage(id: string, after: number): Promise<{ events: RunEvent[]; next?: number }> {
    return get(`/runs/${encodeURIComponent(id)}/events?after=${after}&limit=${EVENTS_PAGE}`);
  }

  /** Folds events after the last one folded (in seq order) into the model, the graph's overlay and the Events tab. */
  private take(events: readonly RunEvent[]): void {
    const fold = this.fold;
    if (!fold) return;
    const fresh = events.filter((e) => e.seq > fold.lastSeq);
    if (!fresh.length) return;
    for (const e of fresh) foldRunEvent(fold, e);
    this.received.push(...fresh);
    this.graph?.apply(fresh);
    this.events?.append(fresh);
  }

  /**
   * Live: follows run `id` on the tab's one shared stream (live.ts: `GET /stream?run=<id>&after=<seq>`, with whatever
   * else the shell follows; SSE `events` messages after the last event read, in seq order; a reconnection resumes
   * with Last-Event-ID, a refused stream is retried, a signed-out one shows the sign-in page). A `reset` reloads the
   * page's run.
   */
  private listen(id: string): void {
    if (!this.fold) return;
    this.stopFollowing();
    this.unfollow = follow({
      run: id,
      after: () => this.fold?.lastSeq ?? 0,
      onEvents: (runId, events) => {
        if (runId !== id || !this.fold) return;
        const before = this.fold.lastSeq;
        this.take(events);
        if (this.fold.lastSeq === before) return;
        this.status = this.fold.status;
        this.schedule();
      },
      onReset: () => void this.open(id),
    });
  }

  private stopFollowing(): void {
    this.unfollow?.();
    this.unfollow = undefined;
  }

  /** Redraws the timeline and the header at most once per animation frame. */
  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
      this.tick++;
    });
  }

  private redraw(): void {
    const model = this.model;
    if (model) this.timeline?.update(runTimeline(model), Date.now(), this.branches);
  }

  /** A graph node was picked: the step instance that ran it last (or its wait), else the node itself. */
  private pickNode(node: string): void {
    const model = this.model;
    let key: string | undefined;
    for (const s of model?.steps.values() ?? []) if (s.node === node) key = s.key;
    if (!key) for (const w of model?.waits.values() ?? []) if (w.node === node) key = w.key;
    this.choose(key ?? node, true);
  }

  /** Selects a step (its key, or a node id of a step that did not run): graph, timeline, Step tab, source lines. */
  private choose(key: string, fromUser: boolean): void {
    this.selected = key;
    const model = this.model;
    const node = model?.steps.get(key)?.node ?? model?.waits.get(key)?.node ?? (key.startsWith('undo ') ? model?.compensations.get(key.slice(5))?.node : undefined) ?? key;
    this.graph?.select(node);
    this.timeline?.select(key);
    this.source?.show(this.graph?.node(node)?.range);
    if (fromUser) {
      this.tab = this.tab === 'source' ? 'source' : 'step';
      const route = href('runs', this.runId!, { step: key });
      history.replaceState(history.state, '', route);
    }
    this.tick++;
  }

  private async act(action: 'cancel' | 'redrive'): Promise<void> {
    this.actionProblem = undefined;
    try {
      await post(`/runs/${encodeURIComponent(this.runId!)}/${action}`, {}, newActionId());
      if (action === 'redrive' || !this.unfollow) await this.open(this.runId!);
    } catch (error) {
      this.actionProblem = error instanceof ApiError ? error.message : String(error);
    }
    this.tick++;
  }

  /**
   * "Send event": the runs list's dialog (actions.ts) for the run as the page knows it now (its live fold's
   * `waitingOn`); the run's events then come in on the stream.
   */
  private async send(event: string): Promise<void> {
    this.actionProblem = undefined;
    const outcome = await sendEvent({ ...this.answer!.run, status: (this.status ?? this.answer!.run.status) as RunSummary['status'], waitingOn: this.fold!.waitingOn }, event);
    if (outcome.done && !this.unfollow) await this.open(this.runId!);
    this.tick++;
  }

  override render() {
    return html`<section class="page run-page">
      ${this.gone ? html`<p class="notice gone" role="alert">${this.gone}</p>` : nothing}
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
      ${this.header()}
      <div class="rp-split" ?hidden=${!!this.gone || !!this.problem}>
        <div class="rp-left">
          ${this.definitionProblem ? html`<p class="notice rp-definition-missing" role="status">${this.definitionProblem}</p>` : nothing}
          ${this.graphMessage ? html`<p class="notice rp-graph-message" role="status">${this.graphMessage}</p>` : nothing}
          <div class="rp-graph canvas" role="application" aria-label="The run's graph: arrow keys move between nodes, Enter shows the step"></div>
          <div class="rp-generated"></div>
        </div>
        <div class="rp-right">
          <div class="rp-tabs" role="tablist">
            ${TABS.map(([tab, label]) => html`<button type="button" role="tab" class="rp-tab" data-tab=${tab} aria-selected=${String(this.tab === tab)} @click=${() => this.show(tab)}>${label}</button>`)}
          </div>
          <div class="rp-panel rp-timeline" role="tabpanel" ?hidden=${this.tab !== 'timeline'}></div>
          <div class="rp-panel rp-step" role="tabpanel" ?hidden=${this.tab !== 'step'}>${this.model ? stepDetail(this.model, this.selected, this.graphNodeOf(this.selected)) : nothing}</div>
          <div class="rp-panel rp-source" role="tabpanel" ?hidden=${this.tab !== 'source'}></div>
          <div class="rp-panel rp-events" role="tabpanel" ?hidden=${this.tab !== 'events'}></div>
        </div>
      </div>
    </section>`;
  }

  private show(tab: Tab): void {
    this.tab = tab;
    this.tick++;
  }

  private graphNodeOf(key: string | undefined) {
    if (!key) return undefined;
    const model = this.model;
    const node = model?.steps.get(key)?.node ?? model?.waits.get(key)?.node ?? key;
    return this.graph?.node(node);
  }

  private header() {
    const answer = this.answer;
    const model = this.model;
    if (!answer || !model) return html`<header class="rp-header"><h1>Run <code>${this.params.id}</code></h1>${this.gone || this.problem ? nothing : html`<p class="muted">Loading…</p>`}</header>`;
    const run = answer.run;
    const startedAt = model.startedAt ?? run.startedAt;
    const finishedAt = model.finishedAt ?? run.finishedAt ?? undefined;
    const breaches = [...(model.slaBreaches?.values() ?? [])];
    const waiting = [...model.waits.values()].filter((w) => w.kind === 'approval' && w.status === 'waiting');
    const status = this.status ?? run.status;
    const events = may('act') ? awaitedEvents({ status: status as RunSummary['status'], waitingOn: model.waitingOn }) : [];
    return html`<header class="rp-header">
      <h1><span class="flow">${run.flow}</span> <span class="status status-${status}" data-status=${status}>${status}</span>
        ${breaches.length || run.slaBreachedAt ? html`<span class="sla-mark" title=${breaches.map((b) => `${b.key}: deadline ${formatTimestamp(b.deadline)}`).join('\n') || 'SLA breached'}>SLA breached</span>` : nothing}</h1>
      <dl class="rp-facts">
        <div class="fact"><dt>Run</dt><dd><code>${run.id}</code></dd></div>
        <div class="fact"><dt>Started</dt><dd>${formatTimestamp(startedAt)}</dd></div>
        ${finishedAt ? html`<div class="fact"><dt>Finished</dt><dd>${formatTimestamp(finishedAt)}</dd></div>` : nothing}
        <div class="fact"><dt>Duration</dt><dd class="rp-duration">${formatDuration(elapsedMs(startedAt, finishedAt ?? new Date().toISOString()))}${finishedAt ? '' : ' so far'}</dd></div>
        <div class="fact"><dt>Steps</dt><dd class="rp-steps">${model.steps.size}</dd></div>
        <div class="fact"><dt>Used</dt><dd><span class="rp-tokens">${formatTokens(model.totals.tokens)}</span>${model.totals.costUsd > 0 ? html` · <span class="rp-cost">${formatCost(model.totals.costUsd)}</span>` : nothing}</dd></div>
        ${model.totals.retries ? html`<div class="fact"><dt>Retries</dt><dd>${model.totals.retries}</dd></div>` : nothing}
        ${answer.traceId ? html`<div class="fact"><dt>Trace</dt><dd>${answer.traceUrl ? html`<a class="rp-trace" href=${answer.traceUrl} rel="noreferrer" target="_blank"><code>${answer.traceId}</code></a>` : html`<code class="rp-trace">${answer.traceId}</code>`}</dd></div>` : nothing}
        ${this.definition ? html`<div class="fact"><dt>Definition</dt><dd><code title=${this.definition.hash}>${this.definition.hash.slice(0, 12)}</code>${model.migrations.length ? html` <span class="muted rp-migrated">(migrated from <code>${model.migrations[model.migrations.length - 1].from.slice(0, 12)}</code>)</span>` : nothing}</dd></div>` : nothing}
      </dl>
      ${run.error ? html`<p class="error rp-error"><code>${run.error.code}</code> ${run.error.message}</p>` : nothing}
      <div class="rp-actions">
        ${waiting.map((w) => html`<a class="rp-decide" href=${href('inbox', { run: run.id, task: w.key })}>Decide ${w.key}</a>`)}
        ${(status === 'running' || status === 'waiting' || status === 'queued') && may('act') ? html`<button type="button" class="rp-cancel" @click=${() => void this.act('cancel')}>Cancel</button>` : nothing}
        ${events.map((e) => html`<button type="button" class="rp-send-event" data-event=${e} @click=${() => void this.send(e)}>Send event ${e}</button>`)}
        ${status === 'failed' && may('act') ? html`<button type="button" class="rp-redrive" @click=${() => void this.act('redrive')}>Redrive</button>` : nothing}
        ${this.actionProblem ? html`<span class="error" role="alert">${this.actionProblem}</span>` : nothing}
      </div>
    </header>`;
  }
}
customElements.define('baton-run-page', RunPage);
