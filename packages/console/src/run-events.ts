// The run page's Events tab: the run's log, one line per event (seq, time, type, where), virtualized like the
// timeline (only the lines in view are in the DOM); a click shows the event's JSON below the list.
import type { RunEvent } from '@baton/protocol';
import { formatTimeOfDay } from '@baton/protocol/run-view';

const ROW = 22;
const OVERSCAN = 10;

/** Where an event happened, for its line: the step instance, the wait's key or task, the node. */
export function eventWhere(e: RunEvent): string {
  const r = e as unknown as Record<string, unknown>;
  for (const k of ['step', 'task', 'key', 'name', 'event', 'node']) if (typeof r[k] === 'string') return r[k] as string;
  return '';
}

/**
 * The events list in `host`. {@link append} adds events (a live run's, in seq order; those at or below the last seq
 * shown are ignored). Lines carry `data-seq`.
 */
export class EventsView {
  private events: RunEvent[] = [];
  private readonly list: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly detail: HTMLPreElement;
  private drawn = '';
  private frame = 0;
  private chosen: number | undefined;

  constructor(host: HTMLElement) {
    host.classList.add('events');
    this.list = document.createElement('div');
    this.list.className = 'ev-list';
    this.list.tabIndex = 0;
    this.list.setAttribute('role', 'list');
    this.list.setAttribute('aria-label', 'Events');
    this.spacer = document.createElement('div');
    this.spacer.className = 'ev-spacer';
    this.list.append(this.spacer);
    this.detail = document.createElement('pre');
    this.detail.className = 'ev-detail json';
    this.detail.hidden = true;
    host.replaceChildren(this.list, this.detail);
    this.list.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule(true)).observe(this.list);
    this.list.addEventListener('click', (event) => {
      const seq = (event.target as Element).closest('[data-seq]')?.getAttribute('data-seq');
      if (seq) this.choose(Number(seq));
    });
  }

  /** How many events the list holds. */
  get count(): number {
    return this.events.length;
  }

  /** Adds events after the last one shown (in seq order); a live list keeps its scroll position. */
  append(events: readonly RunEvent[]): void {
    let added = false;
    for (const e of events) {
      if (this.events.length && e.seq <= this.events[this.events.length - 1].seq) continue;
      this.events.push(e);
      added = true;
    }
    if (!added) return;
    // CSSOM (allowed by the page's CSP, unlike a style attribute): the list's full height, lines drawn on demand
    this.spacer.style.height = `${this.events.length * ROW}px`;
    this.schedule(true);
  }

  /** Replaces every event (a reload). */
  reset(events: readonly RunEvent[]): void {
    this.events = [];
    this.chosen = undefined;
    this.detail.hidden = true;
    this.append(events);
    if (!events.length) this.spacer.style.height = '0px';
    this.schedule(true);
  }

  private choose(seq: number): void {
    this.chosen = seq;
    const event = this.events.find((e) => e.seq === seq);
    this.detail.hidden = !event;
    this.detail.textContent = event ? JSON.stringify(event, null, 2) : '';
    this.schedule(true);
  }

  private schedule(force = false): void {
    if (force) this.drawn = '';
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const first = Math.max(0, Math.floor(this.list.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(this.events.length, Math.ceil((this.list.scrollTop + (this.list.clientHeight || 500)) / ROW) + OVERSCAN);
    const key = `${first}:${last}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const lines: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const e = this.events[i];
      const line = document.createElement('div');
      line.className = `ev-line${e.seq === this.chosen ? ' chosen' : ''}${/failed|retrying/.test(e.type) ? ' bad' : ''}`;
      line.setAttribute('role', 'listitem');
      line.dataset.seq = String(e.seq);
      line.style.top = `${i * ROW}px`;
      const cells: [string, string][] = [
        ['ev-seq', String(e.seq)],
        ['ev-time', formatTimeOfDay(e.time)],
        ['ev-type', e.type],
        ['ev-where', eventWhere(e)],
      ];
      for (const [cls, text] of cells) {
        const span = document.createElement('span');
        span.className = cls;
        span.textContent = text;
        line.append(span);
      }
      lines.push(line);
    }
    this.spacer.replaceChildren(...lines);
  }
}
