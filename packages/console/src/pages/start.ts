// `#/start` (the served flows) and `#/start/<flow>`: a form generated from the flow's typed inputs (`GET /flows`;
// typed-fields.ts: text, number, a checkbox for a boolean, a list for a union of literals, JSON for lists, records and
// `any`; defaults filled in). The page checks each value with protocol's checkValue; the server judges (a 422 naming an
// input is shown at that field); 202 opens the new run.
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { describeType } from '@baton/protocol/types';
import { readTypedFields, renderTypedField } from '../typed-fields.js';
import { ApiError, get, newActionId, post } from '../api.js';
import { href, navigate } from '../router.js';
import { may } from '../session.js';
import type { FlowInfo, FlowInput } from '../wire.js';
import { ConsolePage } from './page.js';

export { fieldKind, fieldValue, type FieldKind } from '../typed-fields.js';

/** The input a server message names (`input "amount" of flow …`, `needs input "amount"`, `no input "amount"`). */
export function inputNamed(message: string): string | undefined {
  return /\binput "([^"]+)"/.exec(message)?.[1];
}

/** The start page. */
export class StartPage extends ConsolePage {
  static override properties = { ...ConsolePage.properties, flows: { state: true }, errors: { state: true }, formError: { state: true }, busy: { state: true } };
  declare flows: FlowInfo[] | undefined;
  /** Per input: what is wrong with its value (the page's check or the server's 422). */
  declare errors: Map<string, string>;
  declare formError: string | undefined;
  declare busy: boolean;
  private actionId = newActionId();

  constructor() {
    super();
    this.flows = undefined;
    this.errors = new Map();
    this.formError = undefined;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    get<{ flows: FlowInfo[] }>('/flows').then(
      (answer) => (this.flows = answer.flows),
      (error: unknown) => {
        this.flows = [];
        this.formError = error instanceof ApiError ? error.message : String(error);
      },
    );
  }

  private get flow(): FlowInfo | undefined {
    return this.flows?.find((f) => f.name === this.params.flow);
  }

  override render() {
    if (!this.params.flow) return this.renderList();
    const flow = this.flow;
    return html`<section class="page start">
      <h1>Start ${this.params.flow}</h1>
      ${!may('act') ? html`<p class="notice" role="status">Starting runs takes the operator or admin role; you can fill the form, the server will refuse it.</p>` : nothing}
      ${this.flows === undefined ? html`<p class="muted">Loading…</p>` : !flow ? html`<p class="error" role="alert">${this.formError ?? `No served flow is named ${this.params.flow}.`} <a href=${href('start')}>The served flows</a></p>` : this.renderForm(flow)}
    </section>`;
  }

  private renderList() {
    return html`<section class="page start">
      <h1>Start a flow</h1>
      ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
      ${this.flows === undefined ? html`<p class="muted">Loading…</p>` : this.flows.length === 0 ? html`<p class="muted empty">No flow is served (a flow is served when it has a trigger).</p>` : html`<table class="list">
        <thead><tr><th>Flow</th><th>Inputs</th><th>File</th></tr></thead>
        <tbody>${this.flows.map((f) => html`<tr><td><a href=${href('start', f.name)}>${f.name}</a></td><td>${f.inputs.map((i) => `${i.name}: ${describeType(i.type)}`).join(', ') || html`<span class="muted">none</span>`}</td><td class="muted">${f.file}</td></tr>`)}</tbody>
      </table>`}
    </section>`;
  }

  private renderForm(flow: FlowInfo) {
    return html`${flow.doc ? html`<p class="muted flow-doc">${flow.doc}</p>` : nothing}<form class="form" id="start-form" novalidate @submit=${(e: Event) => void this.submit(e, flow)}>
        ${flow.inputs.map((input) => this.renderField(input))}
      </form>
      ${flow.inputs.length === 0 ? html`<p class="muted">This flow takes no inputs.</p>` : nothing}
      <p class="error" role="alert" ?hidden=${this.formError === undefined}>${this.formError ?? ''}</p>
      <div class="actions"><vscode-button id="start" ?disabled=${this.busy} @click=${(e: Event) => void this.submit(e, flow)}>Start run</vscode-button></div>`;
  }

  private renderField(input: FlowInput): TemplateResult {
    return renderTypedField(input, 'input-', this.errors.get(input.name));
  }

  private async submit(e: Event, flow: FlowInfo): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    const { values: inputs, errors } = readTypedFields(this, flow.inputs);
    this.errors = errors;
    this.formError = undefined;
    if (errors.size > 0) return;
    this.busy = true;
    try {
      const answer = await post<{ runId: string }>('/runs', { flow: flow.name, inputs }, this.actionId);
      this.actionId = newActionId();
      navigate(href('runs', answer.runId));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'NETWORK')) this.actionId = newActionId();
      const message = error instanceof Error ? error.message : String(error);
      const field = error instanceof ApiError && error.status === 422 ? inputNamed(message) : undefined;
      if (field && flow.inputs.some((i) => i.name === field)) this.errors = new Map([[field, message]]);
      else this.formError = message;
    } finally {
      this.busy = false;
    }
  }
}
customElements.define('baton-start-page', StartPage);
