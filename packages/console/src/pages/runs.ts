// `#/runs`: the runs of the signed-in user's tenant, newest first.
import { html } from 'lit';
import { formatDuration, formatTimestamp, elapsedMs } from '@baton/protocol/run-view';
import { ApiError, get, withQuery } from '../api.js';
import { href } from '../router.js';
import type { RunSummary, RunsPage as RunsAnswer } from '../wire.js';
import { ConsolePage } from './page.js';

/** The runs list. */
export class RunsPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, runs: { state: true }, error: { state: true } };
  declare runs: RunSummary[] | undefined;
  declare error: string | undefined;

  constructor() {
    super();
    this.runs = undefined;
    this.error = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.runs = (await get<RunsAnswer>(withQuery('/runs', { limit: 50 }))).runs;
      this.error = undefined;
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  override render() {
    return html`<section class="page runs">
      <h1>Runs</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      ${this.runs === undefined ? html`<p class="muted">Loading…</p>` : this.runs.length === 0 ? html`<p class="muted empty">No runs yet.</p>` : html`<table class="list">
        <thead><tr><th>Run</th><th>Flow</th><th>Status</th><th>Started</th><th>Duration</th></tr></thead>
        <tbody>${this.runs.map((r) => html`<tr data-run=${r.id}>
          <td><a href=${href('runs', r.id)}><code>${r.id}</code></a></td>
          <td>${r.flow}</td>
          <td><span class="status status-${r.status}">${r.status}</span></td>
          <td>${formatTimestamp(r.startedAt)}</td>
          <td>${r.finishedAt ? formatDuration(elapsedMs(r.startedAt, r.finishedAt)) : ''}</td>
        </tr>`)}</tbody>
      </table>`}
    </section>`;
  }
}
customElements.define('baton-runs-page', RunsPage);
