// `#/inbox[?run=<id>&task=<name>]`: the approvals waiting that the signed-in user may decide (`GET /approvals`, most
// urgent first), each with its deadline counting down (one timer for the page) and its decision in the row: a
// comment, Approve, Reject and the approval's own options. A deep link (a notification's) focuses its row, or says
// who decided it already. The list follows `GET /stream?inbox`. A row decided here or elsewhere leaves the list with a
// short fade (none under `prefers-reduced-motion: reduce`: it goes at once); a decision made here is announced above
// the list.
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { mayDecide } from '@baton/protocol/access-rules';
import { formatDeadline, formatTimestamp, runStateFrom } from '@baton/protocol/run-view';
import { ApiError, get, newActionId, post } from '../api.js';
import { follow } from '../live.js';
import { href } from '../router.js';
import { may, session } from '../session.js';
import type { InboxItem, RunDetail } from '../wire.js';
import { ConsolePage } from './page.js';

/** A row's key: `<runId>/<task>`. */
const keyOf = (item: Pick<InboxItem, 'runId' | 'task'>): string => `${item.runId}/${item.task}`;

/** The server's order of the inbox: by deadline (none last), then by run id (oldest first). */
function byUrgency(a: InboxItem, b: InboxItem): number {
  const at = (i: InboxItem): number => (i.deadline ? Date.parse(i.deadline) : Number.POSITIVE_INFINITY);
  return at(a) - at(b) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : a.task < b.task ? -1 : a.task > b.task ? 1 : 0);
}

/** How a row leaves the list (Web Animations keyframes, ms): a fade and a short slide. */
const LEAVE_KEYFRAMES: Keyframe[] = [{ opacity: 1, transform: 'none' }, { opacity: 0, transform: 'translateX(1.5rem)' }];
const LEAVE_MS = 300;

/** Whether the user asked for less motion (`prefers-reduced-motion: reduce`). */
const reducedMotion = (): boolean => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** What the deep link's run says about its approval when it is not in the user's inbox. */
interface LinkState {
  text: string;
  kind: 'decided' | 'not-yours' | 'missing';
}

/** The inbox. */
export class InboxPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, items: { state: true }, error: { state: true }, now: { state: true }, link: { state: true }, rowErrors: { state: true }, busy: { state: true }, decided: { state: true }, announced: { state: true } };
  declare items: InboxItem[] | undefined;
  declare error: string | undefined;
  /** The countdowns' clock (ms), ticked once a second by one timer. */
  declare now: number;
  declare link: LinkState | undefined;
  /** The server's refusal of a row's decision, shown in that row. */
  declare rowErrors: Map<string, string>;
  declare busy: Set<string>;
  /** Rows decided here (`<key>` → "approved by ann"), said in the row while it leaves. */
  declare decided: Map<string, string>;
  /** The last decision made here, announced above the list once its row has gone ("sign_off of run … approved by ann"). */
  declare announced: string | undefined;
  /** The rows leaving the list (keys): kept in `items`, and so drawn, until their animation ends. */
  private readonly leaving = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private stop: (() => void) | undefined;
  /** Each row's action id, kept while the same decision is retried after a network error. */
  private readonly actionIds = new Map<string, string>();
  private focusedLink = '';

  constructor() {
    super();
    this.items = undefined;
    this.error = undefined;
    this.now = Date.now();
    this.link = undefined;
    this.rowErrors = new Map();
    this.busy = new Set();
    this.decided = new Map();
    this.announced = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => (this.now = Date.now()), 1000);
    // read again when the stream (re)opens: a decision made between this first read and the stream's start (or while
    // it was lost) is told to no stream
    this.stop = follow({ inbox: true, onInbox: () => void this.load(), onReset: () => void this.load(), onConnection: (open) => open && void this.load() });
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.stop?.();
  }

  private get target(): { runId: string; task: string } | undefined {
    const runId = this.query.get('run');
    const task = this.query.get('task');
    return runId && task ? { runId, task } : undefined;
  }

  private async load(): Promise<void> {
    try {
      const fresh = (await get<{ approvals: InboxItem[] }>('/approvals')).approvals;
      const listed = new Set(fresh.map(keyOf));
      // a row the server no longer lists (decided here or elsewhere) stays where it was while it leaves
      const gone = (this.items ?? []).filter((i) => !listed.has(keyOf(i)));
      this.items = [...gone, ...fresh].sort(byUrgency);
      this.error = undefined;
      for (const item of gone) void this.leave(keyOf(item));
    } catch (error) {
      this.items = this.items ?? [];
      this.error = error instanceof ApiError ? error.message : String(error);
      return;
    }
    await this.explainLink();
  }

  /** For a deep link whose approval is not in the list: who decided it, or why the user cannot (from the run's fold). */
  private async explainLink(): Promise<void> {
    const target = this.target;
    if (!target || this.items!.some((i) => keyOf(i) === keyOf(target)) || this.decided.has(keyOf(target))) {
      this.link = undefined;
      return;
    }
    try {
      const detail = await get<RunDetail>(`/runs/${encodeURIComponent(target.runId)}`);
      const wait = runStateFrom(detail.events).waits.get(target.task);
      const me = session();
      if (wait?.kind === 'approval' && wait.decision !== undefined) {
        this.link = { kind: 'decided', text: `Approval ${target.task} of run ${target.runId} was already decided by ${wait.by ?? 'someone'}: ${wait.decision}${wait.endedAt ? ` (${formatTimestamp(wait.endedAt)})` : ''}${wait.comment ? ` — “${wait.comment}”` : ''}.` };
      } else if (wait?.kind === 'approval' && me) {
        const yours = mayDecide({ name: me.user, roles: me.roles, groups: me.groups, ...(me.flows ? { flows: me.flows } : {}) }, detail.run, { assignee: wait.assignee });
        const waiting = `Approval ${target.task} of run ${target.runId} is waiting${wait.assignee ? ` for ${wait.assignee}` : ''}`;
        this.link = yours ? { kind: 'missing', text: `${waiting}.` } : { kind: 'not-yours', text: `${waiting}, but ${me.user} (${me.roles.join(', ')}) may not decide it.` };
      } else {
        this.link = { kind: 'missing', text: `Run ${target.runId} has no approval ${target.task}.` };
      }
    } catch (error) {
      this.link = { kind: 'missing', text: error instanceof ApiError && error.status === 404 ? `There is no run ${target.runId}.` : `Run ${target.runId} could not be read: ${(error as Error).message}` };
    }
  }

  /**
   * Takes a row out of the list: after a {@link LEAVE_MS} ms fade of its `<tr>` (Web Animations), or at once when the
   * user prefers reduced motion or the row is not drawn. A row already leaving is left to its first call. The rows are
   * keyed (`repeat`), so the faded `<tr>` goes with its item and is never reused for the row below it.
   */
  private async leave(key: string): Promise<void> {
    if (this.leaving.has(key)) return;
    this.leaving.add(key);
    try {
      await this.updateComplete;
      const row = this.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
      if (row && !reducedMotion()) {
        // an animation cancelled (the page left) rejects: the row goes all the same
        await row.animate(LEAVE_KEYFRAMES, { duration: LEAVE_MS, easing: 'ease-in', fill: 'forwards' }).finished.catch(() => undefined);
      }
    } finally {
      this.leaving.delete(key);
      this.items = this.items?.filter((i) => keyOf(i) !== key);
    }
  }

  protected override updated(): void {
    // the deep link's row: scrolled to and focused once
    const target = this.target;
    if (!target || !this.items || this.focusedLink === keyOf(target)) return;
    const row = this.querySelector(`tr[data-key="${CSS.escape(keyOf(target))}"]`) as HTMLElement | null;
    if (!row) return;
    this.focusedLink = keyOf(target);
    row.scrollIntoView({ block: 'center' });
    const comment = row.querySelector('vscode-textfield') as (HTMLElement & { updateComplete?: Promise<unknown> }) | null;
    // the field's own input exists once the element has rendered
    void customElements.whenDefined('vscode-textfield').then(() => comment?.updateComplete).then(() => comment?.focus());
  }

  private async decide(item: InboxItem, decision: 'approved' | 'rejected' | string): Promise<void> {
    const key = keyOf(item);
    const comment = ((this.querySelector(`tr[data-key="${CSS.escape(key)}"] vscode-textfield`) as HTMLInputElement | null)?.value ?? '').trim();
    const actionId = this.actionIds.get(key) ?? newActionId();
    this.actionIds.set(key, actionId);
    this.busy = new Set([...this.busy, key]);
    const errors = new Map(this.rowErrors);
    errors.delete(key);
    try {
      const path = `/runs/${encodeURIComponent(item.runId)}/${decision === 'rejected' ? 'reject' : 'approve'}`;
      const answer = await post<{ decision: string; by: string }>(path, { task: item.task, ...(decision !== 'rejected' && decision !== 'approved' ? { decision } : {}), ...(comment ? { comment } : {}) }, actionId);
      this.actionIds.delete(key);
      this.settled(item, `${answer.decision} by ${answer.by}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ACTION_REPLAYED') {
        this.actionIds.delete(key);
        this.settled(item, 'decided (already done)');
      } else {
        if (!(error instanceof ApiError && error.code === 'NETWORK')) this.actionIds.delete(key);
        errors.set(key, error instanceof Error ? error.message : String(error));
      }
    } finally {
      const busy = new Set(this.busy);
      busy.delete(key);
      this.busy = busy;
      this.rowErrors = errors;
    }
  }

  /** A decision made here: said in the row and above the list, and the row leaves. */
  private settled(item: InboxItem, outcome: string): void {
    const key = keyOf(item);
    this.decided = new Map(this.decided).set(key, outcome);
    this.announced = `${item.task} of ${item.flow} run ${item.runId}: ${outcome}.`;
    void this.leave(key);
  }

  override render() {
    const target = this.target;
    const decide = may('decide');
    return html`<section class="page inbox">
      <h1>Inbox</h1>
      <p class="muted">Approvals waiting for you or your groups, most urgent first.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.announced ? html`<p class="decided-notice" role="status">${this.announced}</p>` : nothing}
      ${this.link ? html`<p class="notice link-state link-${this.link.kind}" role="status">${this.link.text} <a href=${href('runs', target!.runId)}>Open the run</a></p>` : nothing}
      ${this.items === undefined
        ? html`<p class="muted">Loading…</p>`
        : this.items.length === 0
          ? html`<p class="muted empty">${decide ? 'Nothing waits for you.' : `${session()?.user ?? 'You'} may not decide approvals (${session()?.roles.join(', ') ?? ''}): nothing to show.`}</p>`
          : html`<table class="list inbox-table">
              <thead><tr><th>Deadline</th><th>Flow</th><th>Approval</th><th>Assignee</th><th>Decision</th></tr></thead>
              <tbody>${repeat(this.items, keyOf, (item) => this.row(item, target !== undefined && keyOf(target) === keyOf(item), decide))}</tbody>
            </table>`}
    </section>`;
  }

  /** The approval's SLA: `SLA breached` (red) once past, else when it falls due. */
  private slaMark(item: InboxItem) {
    if (!item.slaDeadline) return nothing;
    const breached = Date.parse(item.slaDeadline) <= this.now;
    return html`<div class=${breached ? 'sla sla-breached' : 'sla muted'} title=${`SLA ${formatTimestamp(item.slaDeadline)}`}>${breached ? 'SLA breached' : `SLA ${formatDeadline(item.slaDeadline, this.now).replace(/^due /, '')}`}</div>`;
  }

  private row(item: InboxItem, focused: boolean, decide: boolean) {
    const key = keyOf(item);
    const overdue = item.deadline !== undefined && Date.parse(item.deadline) < this.now;
    const done = this.decided.get(key);
    const busy = this.busy.has(key);
    const extra = item.options.filter((o) => o !== 'approved' && o !== 'rejected');
    return html`<tr data-key=${key} data-run=${item.runId} data-task=${item.task} class=${focused ? 'focused' : ''}>
      <td class=${overdue ? 'deadline overdue' : 'deadline'} title=${item.deadline ? formatTimestamp(item.deadline) : ''}>${formatDeadline(item.deadline, this.now)}${this.slaMark(item)}</td>
      <td>${item.flow}</td>
      <td><a href=${href('runs', item.runId)}><b>${item.task}</b></a>${item.prompt ? html`<div class="muted prompt">${item.prompt}</div>` : nothing}</td>
      <td>${item.assignee ?? html`<span class="muted">anyone</span>`}</td>
      <td>${done
        ? html`<span class="decided" role="status">${done}</span>`
        : decide
          ? html`<div class="decide">
              <vscode-textfield class="comment" placeholder="Comment (optional)" aria-label=${`Comment on ${item.task}`} ?disabled=${busy}></vscode-textfield>
              <vscode-button class="approve" ?disabled=${busy} @click=${() => void this.decide(item, 'approved')}>Approve</vscode-button>
              ${extra.map((o) => html`<vscode-button secondary class="option" data-option=${o} ?disabled=${busy} @click=${() => void this.decide(item, o)}>${o}</vscode-button>`)}
              <vscode-button secondary class="reject" ?disabled=${busy} @click=${() => void this.decide(item, 'rejected')}>Reject</vscode-button>
            </div>
            ${this.rowErrors.has(key) ? html`<p class="error row-error" role="alert">${this.rowErrors.get(key)}</p>` : nothing}`
          : nothing}</td>
    </tr>`;
  }
}
customElements.define('baton-inbox-page', InboxPage);
