// `#/metrics[?flow=&window=24h|7d|30d]`: the tenant's runs over a window — KPI tiles (runs, success rate, p50/p95,
// tokens and cost per run, retries, dead letters, SLA breaches, the bottleneck step) and four charts (uPlot: runs per
// day by status, success rate per day, SLA breaches per day, the slowest steps). Every number links to the runs
// list with the filter that lists what it counts. Data: `GET /stats` (the store's runStats).
import { html, nothing, type TemplateResult } from 'lit';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '@baton/webview/graph-view.css';
import '../metrics-page.css';
import { formatCost, formatDuration, formatTokens } from '@baton/protocol/run-view';
import { ApiError, get, withQuery } from '../api.js';
import { href } from '../router.js';
import { kpis, runsPerDay, windowBounds, WINDOWS, type FlowStats, type RunStats, type WindowName } from '../metrics-data.js';
import { ConsolePage } from './page.js';

/** The metrics page. */
export class MetricsPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, stats: { state: true }, error: { state: true } };
  declare stats: RunStats | undefined;
  declare error: string | undefined;
  private loadedWindow: string | undefined;
  private charts: uPlot[] = [];
  private resize: ResizeObserver | undefined;
  private turn = 0;

  constructor() {
    super();
    this.stats = undefined;
    this.error = undefined;
  }

  private get window(): WindowName {
    const w = this.query.get('window');
    return w && w in WINDOWS ? (w as WindowName) : '7d';
  }

  private get flow(): string | undefined {
    return this.query.get('flow') || undefined;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.destroyCharts();
    this.resize?.disconnect();
    this.loadedWindow = undefined;
  }

  protected override updated(): void {
    if (this.loadedWindow !== this.window) void this.load();
    else this.drawCharts();
  }

  /** Reads the window's figures (every flow's: the flow picker filters them here). */
  private async load(): Promise<void> {
    const turn = ++this.turn;
    this.loadedWindow = this.window;
    const { from, to } = windowBounds(this.window, Date.now());
    try {
      const stats = await get<RunStats>(withQuery('/stats', { from, to }));
      if (turn !== this.turn) return;
      this.stats = stats;
      this.error = undefined;
    } catch (error) {
      if (turn !== this.turn) return;
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  private go(change: { flow?: string; window?: string }): void {
    const flow = 'flow' in change ? change.flow : this.flow;
    location.hash = href('metrics', { flow, window: change.window ?? this.query.get('window') ?? undefined });
  }

  /** The runs list filtered to what a figure counts (its `range` filter names the same windows). */
  private runsHref(filter: { flow?: string; status?: string } = {}): string {
    return href('runs', { flow: filter.flow ?? this.flow, status: filter.status, range: this.window });
  }

  override render(): TemplateResult {
    const stats = this.stats;
    const flows = stats ? (this.flow ? stats.flows.filter((f) => f.flow === this.flow) : stats.flows) : [];
    const k = kpis(flows);
    const names = [...new Set([...(stats?.flows.map((f) => f.flow) ?? []), ...(this.flow ? [this.flow] : [])])].sort();
    return html`<section class="page metrics-page">
      <header class="mp-header">
        <h1>Metrics</h1>
        <label>Flow <select class="mp-flow" @change=${(e: Event) => this.go({ flow: (e.target as HTMLSelectElement).value || undefined })}>
          <option value="" ?selected=${!this.flow}>All flows</option>
          ${names.map((n) => html`<option value=${n} ?selected=${n === this.flow}>${n}</option>`)}
        </select></label>
        <span class="mp-windows" role="group" aria-label="Window">
          ${(Object.keys(WINDOWS) as WindowName[]).map((w) => html`<button type="button" class="mp-window" aria-pressed=${String(w === this.window)} @click=${() => this.go({ window: w })}>${w}</button>`)}
        </span>
      </header>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${!stats && !this.error ? html`<p class="muted">Loading…</p>` : nothing}
      ${stats
        ? html`<div class="kpis">
              ${tile('runs', String(k.runs), 'runs', this.runsHref())}
              ${tile('success-rate', k.successRate === null ? '—' : `${(k.successRate * 100).toFixed(1)} %`, 'success rate', this.runsHref({ status: 'succeeded' }))}
              ${k.single ? tile('p50', ms(k.single.p50Ms), 'p50 duration', this.runsHref({ status: 'succeeded' })) : nothing}
              ${k.single ? tile('p95', ms(k.single.p95Ms), 'p95 duration', this.runsHref({ status: 'succeeded' })) : nothing}
              ${k.single ? tile('tokens', k.single.tokensAvg === null ? '—' : formatTokens(Math.round(k.single.tokensAvg)), 'tokens per run', this.runsHref()) : nothing}
              ${k.single ? tile('cost', k.single.costAvgUsd === null ? '—' : formatCost(k.single.costAvgUsd), 'cost per run', this.runsHref()) : nothing}
              ${tile('retries', String(k.retries), 'retries', this.runsHref())}
              ${tile('dead-letters', String(k.deadLetters), 'dead letters', this.runsHref({ status: 'failed' }))}
              ${tile('sla-breaches', String(k.slaBreaches), 'SLA breaches', this.runsHref(), k.slaBreaches > 0)}
              ${k.single?.bottleneck ? tile('bottleneck', k.single.bottleneck.node.split('/').pop()!, `bottleneck · ${formatDuration(k.single.bottleneck.totalMs)} in all`, this.runsHref()) : nothing}
            </div>
            <div class="charts">
              <figure><figcaption>Runs per day</figcaption><div class="chart" data-chart="runs"></div></figure>
              <figure><figcaption>Success rate per day</figcaption><div class="chart" data-chart="success"></div></figure>
              <figure><figcaption>SLA breaches per day</figcaption><div class="chart" data-chart="sla"></div></figure>
              <figure><figcaption>Slowest steps (p95)</figcaption><div class="chart" data-chart="steps"></div></figure>
            </div>
            ${this.flowsTable(flows)}`
        : nothing}
    </section>`;
  }

  private flowsTable(flows: FlowStats[]): TemplateResult {
    if (!flows.length) return html`<p class="muted empty">No runs in this window.</p>`;
    return html`<table class="list mp-flows">
      <thead><tr><th>Flow</th><th>Runs</th><th>Success</th><th>p50</th><th>p95</th><th>Tokens / run</th><th>Cost / run</th><th>Retries</th><th>Dead letters</th><th>SLA breaches</th><th>Bottleneck</th></tr></thead>
      <tbody>${flows.map(
        (f) => html`<tr data-flow=${f.flow}>
          <td><a href=${href('metrics', { flow: f.flow, window: this.window })}>${f.flow}</a></td>
          <td><a data-kpi="runs" href=${this.runsHref({ flow: f.flow })}>${f.runs}</a></td>
          <td><a data-kpi="success-rate" href=${this.runsHref({ flow: f.flow, status: 'succeeded' })}>${f.successRate === null ? '—' : `${(f.successRate * 100).toFixed(1)} %`}</a></td>
          <td data-kpi="p50">${ms(f.p50Ms)}</td>
          <td data-kpi="p95">${ms(f.p95Ms)}</td>
          <td data-kpi="tokens">${f.tokensAvg === null ? '—' : formatTokens(Math.round(f.tokensAvg))}</td>
          <td data-kpi="cost">${f.costAvgUsd === null ? '—' : formatCost(f.costAvgUsd)}</td>
          <td data-kpi="retries">${f.retries}</td>
          <td><a data-kpi="dead-letters" href=${this.runsHref({ flow: f.flow, status: 'failed' })}>${f.deadLetters}</a></td>
          <td data-kpi="sla-breaches" class=${f.slaBreaches ? 'sla-breached' : ''}>${f.slaBreaches}</td>
          <td data-kpi="bottleneck">${f.bottleneck ? html`<code>${f.bottleneck.node.split('/').pop()}</code>` : '—'}</td>
        </tr>`,
      )}</tbody>
    </table>`;
  }

  private destroyCharts(): void {
    for (const c of this.charts.splice(0)) c.destroy();
  }

  /** (Re)creates the four charts from the figures shown, sized to their boxes, coloured from the theme. */
  private drawCharts(): void {
    this.destroyCharts();
    const stats = this.stats;
    if (!stats) return;
    const box = (name: string) => this.querySelector<HTMLElement>(`[data-chart="${name}"]`);
    if (!box('runs')) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const fg = color('--vscode-descriptionForeground', '#59636e');
    const grid = color('--vscode-panel-border', '#d0d7de');
    const ok = color('--baton-succeeded', '#388a34');
    const bad = color('--baton-failed', '#e51400');
    const other = color('--baton-running', '#0e70c0');
    const days = runsPerDay(stats, this.flow);
    const x = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const axes = (yLabel: (v: number) => string): uPlot.Axis[] => [
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, splits: () => (x.length > 10 ? x.filter((_t, i) => i % Math.ceil(x.length / 8) === 0) : x), values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
      { stroke: fg, size: 56, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: (_u, ticks) => ticks.map(yLabel) },
    ];
    const bars = uPlot.paths.bars!({ size: [0.7, 40] });
    const day = 86_400;
    // half a day of room on both sides, so the first and last days' bars are whole
    const dayRange: uPlot.Scale.Range = () => [x.length ? x[0] - day / 2 : 0, x.length ? x[x.length - 1] + day / 2 : day];
    const dayLabel: uPlot.Series = { label: 'day', value: (_u, v) => (v === null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) };
    const noPoints = { show: false };
    const width = (el: HTMLElement) => Math.max(260, el.clientWidth);
    const make = (el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData) => this.charts.push(new uPlot({ ...opts, width: width(el), height: 200 }, data, el));
    // runs per day, stacked: each series is drawn as the sum of itself and those under it; the legend shows its own count
    const stackOwn = [days.map((d) => d.succeeded), days.map((d) => d.failed), days.map((d) => d.other)];
    const stacked = [days.map((d) => d.runs), days.map((d) => d.succeeded + d.failed), days.map((d) => d.succeeded)];
    const own = (i: number) => (_u: uPlot, _v: number | null, _s: number, idx: number | null) => (idx === null ? '' : String(stackOwn[i][idx]));
    make(
      box('runs')!,
      {
        axes: axes((v) => String(v)),
        scales: { x: { time: false, range: dayRange }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [dayLabel, { label: 'other', fill: other, stroke: other, paths: bars, points: noPoints, value: own(2) }, { label: 'failed', fill: bad, stroke: bad, paths: bars, points: noPoints, value: own(1) }, { label: 'succeeded', fill: ok, stroke: ok, paths: bars, points: noPoints, value: own(0) }],
      },
      [x, stacked[0], stacked[1], stacked[2]],
    );
    const rate = days.map((d) => (d.succeeded + d.failed ? (100 * d.succeeded) / (d.succeeded + d.failed) : null));
    make(
      box('success')!,
      { axes: axes((v) => `${v} %`), scales: { x: { time: false, range: dayRange }, y: { range: [0, 100] } }, series: [dayLabel, { label: 'success %', stroke: ok, width: 2, points: { show: true }, spanGaps: true, value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)} %`) }] },
      [x, rate],
    );
    make(
      box('sla')!,
      { axes: axes((v) => String(v)), scales: { x: { time: false, range: dayRange }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } }, series: [dayLabel, { label: 'breaches', fill: bad, stroke: bad, paths: bars, points: noPoints }] },
      [x, days.map((d) => d.breaches)],
    );
    const steps = stats.steps
      .filter((s) => (!this.flow || s.flow === this.flow) && s.p95Ms !== null)
      .sort((a, b) => b.p95Ms! - a.p95Ms!)
      .slice(0, 12);
    const names = steps.map((s) => s.node.split('/').pop()!);
    make(
      box('steps')!,
      {
        axes: [
          { stroke: fg, grid: { show: false }, ticks: { stroke: grid, width: 1 }, splits: () => names.map((_n, i) => i), values: () => names, rotate: names.length > 6 ? -30 : 0, size: names.length > 6 ? 60 : 40 } as uPlot.Axis,
          { stroke: fg, size: 56, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: (_u, ticks) => ticks.map((t) => formatDuration(t)) },
        ],
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, names.length - 0.5)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [{ label: 'step', value: (_u, v) => (v === null ? '' : (names[v] ?? '')) }, { label: 'p95', fill: other, stroke: other, paths: bars, points: noPoints, value: (_u, v) => (v === null ? '' : formatDuration(v)) }],
      },
      [steps.map((_s, i) => i), steps.map((s) => s.p95Ms!)],
    );
    this.resize ??= new ResizeObserver(() => {
      for (const c of this.charts) c.setSize({ width: width(c.root.parentElement!), height: 200 });
    });
    for (const c of this.charts) this.resize.observe(c.root.parentElement!);
  }
}

function tile(kpi: string, value: string, label: string, link: string, alarm = false): TemplateResult {
  return html`<a class="kpi${alarm ? ' alarm' : ''}" href=${link}><span class="kpi-value" data-kpi=${kpi}>${value}</span><span class="kpi-label">${label}</span></a>`;
}

function ms(value: number | null): string {
  return value === null ? '—' : formatDuration(value);
}

customElements.define('baton-metrics-page', MetricsPage);
