// `#/notifications[?status=pending|sent|dead]`: the notification deliveries of the signed-in user's tenant (docs/console.md,
// "Notifications") — pending ones with their next try, sent ones, dead ones with the error that killed them — and
// Retry on a dead or pending one for those who may act (operator, admin).
import { html, nothing } from 'lit';
import { formatTimestamp } from '@baton/protocol/run-view';
import type { DeliveryRecord } from '@baton/protocol';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { ApiError, get, newActionId, post, withQuery } from '../api.js';
import { href } from '../router.js';
import { may } from '../session.js';
import { ConsolePage } from './page.js';

/** One delivery as `GET /notifications` answers it (the store's DeliveryRecord). Times are ISO 8601. */
export type DeliveryItem = Omit<DeliveryRecord, 'notification'>;

/** `GET /notifications`: a page of deliveries (`next`: the `before` of the next older page) and the server's channels. */
interface DeliveriesAnswer {
  deliveries: DeliveryItem[];
  next?: string;
  channels: string[];
}

const FILTERS = [
  { status: '', label: 'All' },
  { status: 'pending', label: 'Pending' },
  { status: 'dead', label: 'Dead' },
  { status: 'sent', label: 'Sent' },
] as const;

// the page's few rules, adopted once (a constructed stylesheet: no inline style under the CSP; a page chunk's own .css
// file is not linked by the shell, which links the entry's only)
const styles = new CSSStyleSheet();
styles.replaceSync(`
.notifications .toolbar a.chip { text-decoration: none; background: transparent; color: var(--vscode-foreground); border: 1px solid var(--vscode-panel-border); }
.notifications .toolbar a.chip.chip-on { background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); border-color: transparent; }
.notifications td.last-error { max-width: 36em; overflow-wrap: anywhere; }
.notifications td.nowrap { white-space: nowrap; }`);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, styles];

const KIND_LABELS: Record<NonNullable<DeliveryItem['kind']>, string> = { 'approval.waiting': 'approval waiting', 'run.failed': 'run failed', 'sla.breached': 'SLA breached' };

/** The notifications page. */
export class NotificationsPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, answer: { state: true }, older: { state: true }, error: { state: true }, busy: { state: true }, rowErrors: { state: true } };
  declare answer: DeliveriesAnswer | undefined;
  /** Older pages fetched with "Older". */
  declare older: DeliveryItem[];
  declare error: string | undefined;
  /** The delivery whose retry is in flight. */
  declare busy: string | undefined;
  /** A refused retry's message, by delivery id (shown in its row). */
  declare rowErrors: Record<string, string>;

  constructor() {
    super();
    this.answer = undefined;
    this.older = [];
    this.error = undefined;
    this.busy = undefined;
    this.rowErrors = {};
  }

  /** The status filter the rows shown were read with (undefined: none read yet). */
  private loaded: string | undefined;
  /** The `before` of the page after the older ones shown. */
  private nextOlder: string | undefined;

  /** Reads the list when the page is first shown and when its `?status=` changes (the shell updates it in place). */
  protected override willUpdate(): void {
    if (this.loaded !== this.status) {
      this.loaded = this.status;
      void this.load();
    }
  }

  private get status(): string {
    return this.query.get('status') ?? '';
  }

  private async load(): Promise<void> {
    try {
      this.answer = await get<DeliveriesAnswer>(withQuery('/notifications', { status: this.status, limit: 100 }));
      this.older = [];
      this.nextOlder = undefined;
      this.error = undefined;
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  private async more(): Promise<void> {
    const before = this.older.length ? this.nextOlder : this.answer?.next;
    if (!before) return;
    try {
      const page = await get<DeliveriesAnswer>(withQuery('/notifications', { status: this.status, limit: 100, before }));
      this.older = [...this.older, ...page.deliveries];
      this.nextOlder = page.next;
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  /** Retries one delivery (one action id per click), then reads the list again. */
  private async retry(delivery: DeliveryItem): Promise<void> {
    this.busy = delivery.id;
    this.rowErrors = Object.fromEntries(Object.entries(this.rowErrors).filter(([id]) => id !== delivery.id));
    try {
      await post(`/notifications/${encodeURIComponent(delivery.id)}/retry`, {}, newActionId());
      await this.load();
    } catch (error) {
      this.rowErrors = { ...this.rowErrors, [delivery.id]: error instanceof ApiError ? error.message : String(error) };
    } finally {
      this.busy = undefined;
    }
  }

  override render() {
    const rows = [...(this.answer?.deliveries ?? []), ...this.older];
    const more = this.older.length ? this.nextOlder : this.answer?.next;
    const canRetry = may('act');
    return html`<section class="page notifications">
      <h1>Notifications</h1>
      <div class="toolbar" role="tablist">
        ${FILTERS.map((f) => html`<a class="chip ${f.status === this.status ? 'chip-on' : ''}" role="tab" aria-selected=${f.status === this.status} href=${href('notifications', { status: f.status })}>${f.label}</a>`)}
        <vscode-button secondary id="refresh" @click=${() => void this.load()}>Refresh</vscode-button>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.answer && this.answer.channels.length === 0 ? html`<p class="notice">This server sends no notifications: add <code>notifications.channels</code> to baton.config.json (docs/console.md). Deliveries made by another server of this store are still listed.</p>` : nothing}
      ${this.answer === undefined
        ? html`<p class="muted">Loading…</p>`
        : rows.length === 0
          ? html`<p class="muted empty">No ${this.status || ''} notifications.</p>`
          : html`<table class="list">
              <thead><tr><th>When</th><th>About</th><th>Run</th><th>Channel</th><th>Status</th><th class="num">Tries</th><th>Next try / sent</th><th>Last error</th>${canRetry ? html`<th></th>` : nothing}</tr></thead>
              <tbody>${rows.map((d) => this.row(d, canRetry))}</tbody>
            </table>`}
      ${more ? html`<div class="pager"><vscode-button secondary id="older" @click=${() => void this.more()}>Older</vscode-button></div>` : nothing}
    </section>`;
  }

  private row(d: DeliveryItem, canRetry: boolean) {
    return html`<tr data-delivery=${d.id} data-status=${d.status}>
      <td class="nowrap">${d.createdAt ? formatTimestamp(d.createdAt) : ''}</td>
      <td class="nowrap">${d.kind ? KIND_LABELS[d.kind] : ''}</td>
      <td>${d.runId ? html`<a href=${href('runs', d.runId)}><code>${d.runId}</code></a>` : ''}</td>
      <td class="nowrap">${d.channel}</td>
      <td><span class="status status-${d.status === 'sent' ? 'succeeded' : d.status === 'dead' ? 'failed' : 'waiting'}">${d.status}</span></td>
      <td class="num">${d.attempts}</td>
      <td class="nowrap">${d.status === 'sent' ? (d.sentAt ? formatTimestamp(d.sentAt) : '') : d.status === 'pending' ? formatTimestamp(d.nextAt) : ''}</td>
      <td class="last-error">${d.lastError ?? ''}${this.rowErrors[d.id] ? html`<div class="error" role="alert">${this.rowErrors[d.id]}</div>` : nothing}</td>
      ${canRetry ? html`<td>${d.status !== 'sent' ? html`<vscode-button class="retry" ?disabled=${this.busy === d.id} @click=${() => void this.retry(d)}>Retry</vscode-button>` : nothing}</td>` : nothing}
    </tr>`;
  }
}
customElements.define('baton-notifications-page', NotificationsPage);
