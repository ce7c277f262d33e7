// The run page's Timeline tab: a Gantt chart of the run (SVG) from the protocol's `runTimeline` bars — one row per
// step instance, wait or compensation, one bar per attempt. Rows are virtualized: only those in view (and a few
// around) are in the DOM, so a run of 5,000 steps costs what one of 50 does.
import { formatDuration, type TimelineBar } from '@baton/protocol/run-view';
import type { TimelineGroup } from './timeline-branches.js';

/** One row of the chart: a step instance (its attempts), a wait, a compensation, or a group's heading. */
export interface TimelineRow {
  /**
   * The bars' key (`ask`, `check[2]`, `incident/page`, `undo charge`), or `group:<prefix>` for a heading
   * (`group:branch:<parallel id>#<n>` for a parallel's branch).
   */
  key: string;
  label: string;
  /** The IR node id (of the first bar), for the graph and the Step tab; absent on a heading. */
  node?: string;
  /** 0: top level; 1: inside a group (a sub-flow call's steps, a foreach's instances, a parallel's branch). */
  depth: number;
  /** A heading's bars are its members' (drawn as one thin span). */
  heading?: boolean;
  bars: TimelineBar[];
}

/**
 * The group a bar's key belongs to: a sub-flow call's steps (`incident/page` → `incident/`), a foreach's instances
 * (`check[2]` → `check[]`); undefined at the top level (also for an unnamed wait's `event@Flow/w3`).
 */
export function groupOf(key: string): string | undefined {
  // an unnamed wait's key ends in its node id (`event@Flow/w3`, `sub/wait@Sub/w1`): only what precedes it is a prefix
  const at = key.indexOf('@');
  const slash = (at < 0 ? key : key.slice(0, at)).lastIndexOf('/');
  if (slash > 0 && !key.startsWith('undo ')) return key.slice(0, slash + 1);
  const loop = /^(.*)\[\d+\]$/.exec(key);
  return loop ? `${loop[1]}[]` : undefined;
}

/**
 * The chart's rows from `runTimeline`'s bars (ordered by start): one row per key (a retried step's attempts share
 * its row), a group's members right under a heading placed where the group's first member starts, in start order.
 * Groups: a sub-flow call's steps and a foreach's instances ({@link groupOf}), else the `parallel` branch of the bar's
 * node in `branches` (timeline-branches.ts; the branches of one block start together, so their headings follow each
 * other, each over its own rows). O(n) in the bars.
 */
export function timelineRows(bars: readonly TimelineBar[], branches?: ReadonlyMap<string, TimelineGroup>): TimelineRow[] {
  const byKey = new Map<string, TimelineRow>();
  const groups = new Map<string, { label: (members: number) => string; members: TimelineRow[] }>();
  const top: (TimelineRow | { group: string })[] = [];
  for (const bar of bars) {
    let row = byKey.get(bar.key);
    if (row) {
      row.bars.push(bar);
      continue;
    }
    const prefix = groupOf(bar.key);
    const branch = prefix === undefined ? branches?.get(bar.node) : undefined;
    const group = prefix ?? branch?.id;
    // a tool call's row is indented under its step's (it starts after the step does)
    row = { key: bar.key, label: bar.label, node: bar.node, depth: group || bar.kind === 'tool' ? 1 : 0, bars: [bar] };
    byKey.set(bar.key, row);
    if (!group) {
      top.push(row);
      continue;
    }
    let entry = groups.get(group);
    if (!entry) {
      const label = branch ? () => branch.label : group.endsWith('[]') ? (n: number) => `${group.slice(0, -2)}[…] × ${n}` : () => group.slice(0, -1);
      groups.set(group, (entry = { label, members: [] }));
      top.push({ group });
    }
    entry.members.push(row);
  }
  const rows: TimelineRow[] = [];
  for (const item of top) {
    if ('key' in item) {
      rows.push(item);
      continue;
    }
    const { label, members } = groups.get(item.group)!;
    rows.push({ key: `group:${item.group}`, label: label(members.length), depth: 0, heading: true, bars: members.flatMap((m) => m.bars) });
    rows.push(...members);
  }
  return rows;
}

/** Row height and the label column's width (px). */
const ROW = 22;
const LABEL = 200;
/** Rows drawn above and below the visible ones. */
const OVERSCAN = 8;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** What the chart tells its page. */
export interface TimelineCallbacks {
  /** A bar or a row's label was clicked: select that step (its key and IR node). */
  select(key: string, node: string | undefined): void;
}

/**
 * The Gantt chart in `host`: a time axis and a scrolling body. {@link update} gives it the bars (call it at most once
 * per animation frame while a run is live); scrolling and resizing redraw only the rows in view. Bars: steps in the
 * status colours, failed attempts hatched, waits lighter, compensations in `--baton-undo`; a bar still open runs to
 * `now`. Each bar has a `<title>` (key, attempt, duration, error) and `data-key`/`data-attempt` attributes.
 */
export class TimelineView {
  private rows: TimelineRow[] = [];
  private t0 = 0;
  private t1 = 1;
  private selected: string | undefined;
  private readonly axis: SVGSVGElement;
  private readonly body: HTMLDivElement;
  private readonly svg: SVGSVGElement;
  private readonly layer: SVGGElement;
  private drawn = '';
  private frame = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly callbacks: TimelineCallbacks,
  ) {
    host.classList.add('timeline');
    this.axis = svgElement('svg', { class: 'tl-axis', height: '24' });
    this.body = document.createElement('div');
    this.body.className = 'tl-body';
    this.body.tabIndex = 0;
    this.body.setAttribute('role', 'list');
    this.body.setAttribute('aria-label', 'Timeline: one row per step, wait and compensation');
    this.svg = svgElement('svg', { class: 'tl-rows' });
    const defs = svgElement('defs', {});
    const hatch = svgElement('pattern', { id: 'tl-hatch', patternUnits: 'userSpaceOnUse', width: '6', height: '6', patternTransform: 'rotate(45)' });
    hatch.append(svgElement('rect', { class: 'tl-hatch-bg', width: '6', height: '6' }), svgElement('line', { class: 'tl-hatch-line', x1: '0', y1: '0', x2: '0', y2: '6' }));
    defs.append(hatch);
    this.layer = svgElement('g', {});
    this.svg.append(defs, this.layer);
    this.body.append(this.svg);
    host.replaceChildren(this.axis, this.body);
    this.body.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule(true)).observe(host);
    this.svg.addEventListener('click', (event) => {
      const target = (event.target as Element).closest('[data-key]');
      const key = target?.getAttribute('data-key');
      if (!key || key.startsWith('group:')) return;
      this.callbacks.select(key, this.rows.find((r) => r.key === key)?.node);
    });
  }

  /** The rows drawn from the last {@link update} (for tests and the page). */
  get rowCount(): number {
    return this.rows.length;
  }

  /**
   * Replaces the bars (`runTimeline(model)`); `now` (ms since the epoch) ends the bars still open; `branches`: the
   * run's `parallel` branches by node (timeline-branches.ts), when its definition is known.
   */
  update(bars: readonly TimelineBar[], now: number, branches?: ReadonlyMap<string, TimelineGroup>): void {
    this.rows = timelineRows(bars, branches);
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const b of bars) {
      const s = Date.parse(b.startedAt);
      const e = b.endedAt ? Date.parse(b.endedAt) : now;
      if (s < t0) t0 = s;
      if (e > t1) t1 = e;
    }
    this.t0 = Number.isFinite(t0) ? t0 : now;
    this.t1 = Math.max(this.t0 + 1, Number.isFinite(t1) ? t1 : now);
    this.svg.setAttribute('height', String(this.rows.length * ROW));
    this.draw(true);
  }

  /** Marks a row selected (its key) and scrolls it into view. */
  select(key: string | undefined): void {
    this.selected = key;
    const index = key === undefined ? -1 : this.rows.findIndex((r) => r.key === key);
    if (index >= 0) {
      const top = index * ROW;
      if (top < this.body.scrollTop || top + ROW > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = Math.max(0, top - this.body.clientHeight / 3);
    }
    this.draw(true);
  }

  private schedule(force = false): void {
    if (force) this.drawn = '';
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw(false);
    });
  }

  /** Draws the axis and the rows in view (again only when the range in view, the width or the data changed). */
  private draw(force: boolean): void {
    const width = Math.max(LABEL + 120, this.body.clientWidth || this.host.clientWidth || 800);
    const first = Math.max(0, Math.floor(this.body.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.body.scrollTop + (this.body.clientHeight || 600)) / ROW) + OVERSCAN);
    const key = `${first}:${last}:${width}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    this.svg.setAttribute('width', String(width));
    this.axis.setAttribute('width', String(width));
    const span = this.t1 - this.t0;
    const scale = (width - LABEL - 12) / span;
    const x = (iso: string): number => LABEL + (Date.parse(iso) - this.t0) * scale;
    const end = (bar: TimelineBar): number => (bar.endedAt ? x(bar.endedAt) : LABEL + span * scale);
    this.drawAxis(width, span, scale);
    const pieces: SVGElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.rows[i];
      const y = i * ROW;
      const g = svgElement('g', { class: `tl-row${row.heading ? ' heading' : ''}${row.key === this.selected ? ' selected' : ''}`, 'data-key': row.key, role: 'listitem', transform: `translate(0 ${y})` });
      g.append(svgElement('rect', { class: 'tl-stripe', x: '0', y: '0', width: String(width), height: String(ROW) }));
      const label = svgElement('text', { class: 'tl-label', x: String(8 + row.depth * 14), y: String(ROW / 2 + 4) });
      label.textContent = clip(row.label, 28 - row.depth * 2);
      g.append(label);
      if (row.heading) {
        const from = Math.min(...row.bars.map((b) => x(b.startedAt)));
        const to = Math.max(...row.bars.map(end));
        g.append(svgElement('rect', { class: 'tl-span', x: String(from), y: String(ROW / 2 - 2), width: String(Math.max(2, to - from)), height: '4' }));
      } else {
        for (const bar of row.bars) {
          const from = x(bar.startedAt);
          const rect = svgElement('rect', {
            class: `tl-bar kind-${bar.kind} status-${bar.status}${bar.endedAt ? '' : ' open'}`,
            x: String(from),
            y: '4',
            width: String(Math.max(2, end(bar) - from)),
            height: String(ROW - 8),
            rx: '2',
            'data-key': row.key,
            ...(bar.attempt !== undefined ? { 'data-attempt': String(bar.attempt) } : {}),
          });
          const title = svgElement('title', {});
          title.textContent = describe(bar);
          rect.append(title);
          g.append(rect);
        }
      }
      pieces.push(g);
    }
    this.layer.replaceChildren(...pieces);
  }

  private drawAxis(width: number, span: number, scale: number): void {
    const step = tickStep(span / Math.max(2, Math.floor((width - LABEL) / 110)));
    const ticks: SVGElement[] = [];
    for (let t = 0; t <= span; t += step) {
      const x = LABEL + t * scale;
      ticks.push(svgElement('line', { class: 'tl-tick', x1: String(x), x2: String(x), y1: '16', y2: '24' }));
      const text = svgElement('text', { class: 'tl-tick-label', x: String(x + 3), y: '13' });
      text.textContent = t === 0 ? '0' : formatDuration(t);
      ticks.push(text);
    }
    this.axis.replaceChildren(...ticks);
  }
}

/** A bar's tooltip: `ask · attempt 2 · 1.2s · failed`. */
function describe(bar: TimelineBar): string {
  const parts = [bar.label];
  if (bar.attempt !== undefined && (bar.attempt > 1 || bar.status === 'failed')) parts.push(`attempt ${bar.attempt}`);
  if (bar.kind !== 'step') parts.push(bar.kind);
  parts.push(bar.endedAt ? formatDuration(Math.max(0, Date.parse(bar.endedAt) - Date.parse(bar.startedAt))) : 'still open');
  parts.push(bar.status);
  return parts.join(' · ');
}

/** A round tick interval (ms) at least `ms`: 1, 2, 5 × 10ⁿ ms, then seconds, minutes, hours, days. */
function tickStep(ms: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  for (const s of steps) if (s >= ms) return s;
  return Math.ceil(ms / 86_400_000) * 86_400_000;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function svgElement(tag: string, attributes: Record<string, string>): SVGElement & SVGSVGElement & SVGGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement & SVGSVGElement & SVGGElement;
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}
