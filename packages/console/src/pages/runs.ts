// `#/runs[?flow&status&range&q&before]`: the runs of the signed-in user's tenant, newest first, filtered by flow,
// status, start time and text in the inputs; keyset pages ("Older" passes the page's `next` as `before`); live rows
// from `GET /stream?list` — a new matching run goes on top of the first page, elsewhere a "N new runs" chip. A user of
// several tenants sees the tenant chosen in the header (the route's `tenant=`) as a filter chip.
import { html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { RunStatus } from '@baton/protocol';
import { elapsedMs, formatDuration, formatRelative, formatTimestamp } from '@baton/protocol/run-view';
import { ApiError, get, withQuery } from '../api.js';
import { awaitedEvents, cancellable, cancelRun, redrivable, redriveRun, sendEvent, type ActionOutcome } from '../actions.js';
import { follow } from '../live.js';
import { currentTenant, href, navigate } from '../router.js';
import { may, session } from '../session.js';
import type { FlowInfo, RunSummary, RunsPage as RunsAnswer } from '../wire.js';
import { ConsolePage } from './page.js';

/** The statuses the filter offers. */
const STATUSES: RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'interrupted'];
/** The time ranges the filter offers (ms back from now). */
const RANGES: Record<string, { label: string; ms: number }> = {
  '1h': { label: 'last hour', ms: 3600_000 },
  '24h': { label: 'last 24 hours', ms: 86_400_000 },
  '7d': { label: 'last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'last 30 days', ms: 30 * 86_400_000 },
};
/** Rows per page. */
export const PAGE_SIZE = 50;
/** Crockford's base 32, the alphabet of a run id (a ULID). */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * When run `id` started, ISO 8601: a run id is a ULID, its first 10 characters the start time (ms since the epoch,
 * Crockford's base 32; see `runIdBound` in @baton/runtime). Undefined for a text that is not a run id.
 */
export function runIdTime(id: string): string | undefined {
  let ms = 0;
  for (const c of id.slice(0, 10).toUpperCase()) {
    const digit = CROCKFORD.indexOf(c);
    if (digit < 0) return undefined;
    ms = ms * 32 + digit;
  }
  return id.length === 26 && ms <= 8.64e15 ? new Date(ms).toISOString() : undefined;
}
/** The performance mark the bench reads (bench/cases/console-list-page.ts): a page of rows (or its empty message) painted; `detail` `{ query, rows }`. */
export const RUNS_PAINTED_MARK = 'baton:runs-painted';

/** The list's filters, as the hash's query holds them. */
export interface RunFilters {
  flow?: string;
  status?: string;
  range?: string;
  q?: string;
  before?: string;
}

/** Whether a run (a list row) matches the filters; `nowMs` bounds the time range. */
export function rowMatches(row: RunSummary & { inputsTruncated?: true }, f: RunFilters, nowMs: number): boolean {
  if (f.flow && row.flow !== f.flow) return false;
  if (f.status && row.status !== f.status) return false;
  if (f.range && RANGES[f.range] && Date.parse(row.startedAt) < nowMs - RANGES[f.range].ms) return false;
  if (f.q && f.q.length >= 3 && !row.inputsTruncated && !JSON.stringify(row.inputs).toLowerCase().includes(f.q.toLowerCase())) return false;
  return true;
}

/** The runs list. */
export class RunsPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, runs: { state: true }, next: { state: true }, searchedTo: { state: true }, error: { state: true }, fresh: { state: true }, flows: { state: true }, notice: { state: true } };
  declare runs: RunSummary[] | undefined;
  declare next: string | undefined;
  declare searchedTo: string | undefined;
  declare error: string | undefined;
  /** New matching runs not shown (not on the first page). */
  declare fresh: number;
  declare flows: FlowInfo[] | undefined;
  declare notice: string | undefined;
  private loaded: string | undefined;
  private stop: (() => void) | undefined;
  private abort: AbortController | undefined;

  constructor() {
    super();
    this.runs = undefined;
    this.next = undefined;
    this.searchedTo = undefined;
    this.error = undefined;
    this.fresh = 0;
    this.flows = undefined;
    this.notice = undefined;
  }

  /** The filters of the route's query. */
  get filters(): RunFilters {
    const q = this.query;
    const pick = (k: string): string | undefined => q.get(k) || undefined;
    return { flow: pick('flow'), status: pick('status'), range: pick('range'), q: pick('q'), before: pick('before') };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.stop = follow({ list: true, onRun: (row) => this.onRow(row), onReset: () => void this.load(true) });
    get<{ flows: FlowInfo[] }>('/flows').then(
      (answer) => (this.flows = answer.flows),
      () => (this.flows = []),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop?.();
    this.abort?.abort();
  }

  protected override willUpdate(): void {
    const key = this.query.toString();
    if (key !== this.loaded) {
      this.loaded = key;
      void this.load(false);
    }
  }

  private async load(keep: boolean): Promise<void> {
    const f = this.filters;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    if (!keep) this.runs = undefined;
    this.fresh = 0;
    const from = f.range && RANGES[f.range] ? new Date(Date.now() - RANGES[f.range].ms).toISOString() : undefined;
    const q = f.q && f.q.length >= 3 ? f.q : undefined;
    try {
      const answer = await get<RunsAnswer>(withQuery('/runs', { flow: f.flow, status: f.status, from, q, before: f.before, limit: PAGE_SIZE }), abort.signal);
      this.runs = answer.runs;
      this.next = answer.next;
      this.searchedTo = answer.searchedTo;
      this.error = undefined;
      const detail = { query: this.query.toString(), rows: answer.runs.length };
      void this.updateComplete.then(() => requestAnimationFrame(() => performance.mark(RUNS_PAINTED_MARK, { detail })));
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      this.runs = this.runs ?? [];
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  /** A live row: updated in place when shown; a new matching run on top of the first page, else counted in the chip. */
  private onRow(row: RunSummary & { inputsTruncated?: true }): void {
    if (!this.runs) return;
    const at = this.runs.findIndex((r) => r.id === row.id);
    if (at >= 0) {
      // the row as it is now (a truncated summary keeps the inputs already shown)
      const merged = row.inputsTruncated ? { ...row, inputs: this.runs[at].inputs } : row;
      this.runs = this.runs.map((r, i) => (i === at ? merged : r));
      return;
    }
    const f = this.filters;
    if (!rowMatches(row, f, Date.now())) return;
    // only a run newer than the newest shown is new (an older one changing is not on this page)
    const newest = this.runs[0]?.id;
    if (newest !== undefined && row.id < newest) return;
    if (f.before) {
      this.fresh += 1;
      return;
    }
    this.runs = [row, ...this.runs].slice(0, Math.max(PAGE_SIZE, this.runs.length));
  }

  private setFilter(patch: Partial<RunFilters>): void {
    const f = { ...this.filters, ...patch };
    // a new filter starts from the newest page
    if (!('before' in patch)) delete f.before;
    navigate(href('runs', { ...f }), true);
  }

  private async act(action: Promise<ActionOutcome>, what: string): Promise<void> {
    const outcome = await action;
    if (!outcome.done) return;
    this.notice = outcome.already ? `${what}: already done` : `${what}: done`;
    await this.load(true);
  }

  override render() {
    const f = this.filters;
    const now = Date.now();
    const act = may('act');
    const flowNames = this.flows?.map((fl) => fl.name) ?? [];
    if (f.flow && !flowNames.includes(f.flow)) flowNames.push(f.flow);
    const who = session();
    return html`<section class="page runs">
      <h1>Runs</h1>
      <div class="toolbar" role="search">
        ${who && who.tenants.length > 1 ? html`<span class="chip" id="filter-tenant" title="The tenant picker in the header chooses it">tenant: ${currentTenant() ?? who.tenant}</span>` : nothing}
        <label>Flow
          <vscode-single-select id="filter-flow" @change=${(e: Event) => this.setFilter({ flow: (e.target as HTMLSelectElement).value || undefined })}>
            <vscode-option value="" ?selected=${!f.flow}>All flows</vscode-option>
            ${flowNames.map((name) => html`<vscode-option value=${name} ?selected=${f.flow === name}>${name}</vscode-option>`)}
          </vscode-single-select>
        </label>
        <label>Status
          <vscode-single-select id="filter-status" @change=${(e: Event) => this.setFilter({ status: (e.target as HTMLSelectElement).value || undefined })}>
            <vscode-option value="" ?selected=${!f.status}>Any status</vscode-option>
            ${STATUSES.map((s) => html`<vscode-option value=${s} ?selected=${f.status === s}>${s}</vscode-option>`)}
          </vscode-single-select>
        </label>
        <label>Started
          <vscode-single-select id="filter-range" @change=${(e: Event) => this.setFilter({ range: (e.target as HTMLSelectElement).value || undefined })}>
            <vscode-option value="" ?selected=${!f.range}>Any time</vscode-option>
            ${Object.entries(RANGES).map(([k, r]) => html`<vscode-option value=${k} ?selected=${f.range === k}>${r.label}</vscode-option>`)}
          </vscode-single-select>
        </label>
        <label>Text in the inputs
          <vscode-textfield id="filter-q" placeholder="3 characters or more" value=${f.q ?? ''} @change=${(e: Event) => this.setFilter({ q: (e.target as HTMLInputElement).value.trim() || undefined })}></vscode-textfield>
        </label>
        ${this.fresh > 0 ? html`<button class="chip" id="new-runs" @click=${() => this.setFilter({})}>${this.fresh} new run${this.fresh === 1 ? '' : 's'}</button>` : nothing}
      </div>
      ${f.q && f.q.length < 3 ? html`<p class="muted">Text filters need 3 characters or more.</p>` : nothing}
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.runs === undefined
        ? html`<p class="muted">Loading…</p>`
        : this.runs.length === 0
          ? html`<p class="muted empty">${this.searchedTo ? 'No run matches these filters in the runs searched.' : f.flow || f.status || f.range || f.q ? 'No run matches these filters.' : 'No runs yet.'}</p>`
          : html`<table class="list runs-table">
              <thead><tr><th>Run</th><th>Flow</th><th>Status</th><th>Started</th><th>Duration</th><th>Waiting on</th>${act ? html`<th><span class="muted">Actions</span></th>` : nothing}</tr></thead>
              <tbody>${this.runs.map((r) => this.row(r, now, act))}</tbody>
            </table>`}
      <div class="pager">
        ${f.before ? html`<vscode-button secondary id="newest" @click=${() => this.setFilter({})}>Newest</vscode-button>` : nothing}
        ${this.next ? html`<vscode-button secondary id="older" @click=${() => this.setFilter({ before: this.next })}>Older</vscode-button>` : nothing}
        ${this.searchedTo ? html`<span class="muted searched-to" title=${`run ${this.searchedTo}`}>Searched back to ${formatTimestamp(runIdTime(this.searchedTo) ?? this.searchedTo)}.</span><vscode-button secondary id="search-older" @click=${() => this.setFilter({ before: this.searchedTo })}>Search older</vscode-button>` : nothing}
      </div>
    </section>`;
  }

  private row(r: RunSummary, now: number, act: boolean) {
    const waits = r.status === 'waiting' ? r.waitingOn.map((w) => (w.kind === 'approval' ? `approval ${w.task}` : w.kind === 'event' ? `event ${w.event}` : w.kind)).join(', ') : '';
    const events = act ? awaitedEvents(r) : [];
    return html`<tr data-run=${r.id} data-status=${r.status}>
      <td><a href=${href('runs', r.id)}><code>${r.id}</code></a></td>
      <td><a href=${href('runs', { flow: r.flow })}>${r.flow}</a></td>
      <td><span class="status status-${r.status}">${r.status}</span>${r.slaBreachedAt ? html` <span class="sla sla-breached" title=${`SLA breached ${formatTimestamp(r.slaBreachedAt)}`}>SLA</span>` : nothing}</td>
      <td title=${formatTimestamp(r.startedAt)}>${formatRelative(r.startedAt, now)}</td>
      <td class="num">${r.finishedAt ? formatDuration(elapsedMs(r.startedAt, r.finishedAt)) : ''}</td>
      <td>${r.status === 'failed' && r.error ? html`<span class="error">${r.error.code}</span>` : waits}</td>
      ${act
        ? html`<td class="row-actions">
            ${cancellable(r) ? html`<vscode-button secondary class="cancel" @click=${() => void this.act(cancelRun(r), `cancel ${r.id}`)}>Cancel</vscode-button>` : nothing}
            ${redrivable(r) ? html`<vscode-button class="redrive" @click=${() => void this.act(redriveRun(r), `redrive ${r.id}`)}>Redrive</vscode-button>` : nothing}
            ${events.length ? html`<vscode-button secondary class="send-event" @click=${() => void this.act(sendEvent(r, events[0]), `event to ${r.id}`)}>Send event</vscode-button>` : nothing}
          </td>`
        : nothing}
    </tr>`;
  }
}
customElements.define('baton-runs-page', RunsPage);
