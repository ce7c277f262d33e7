// `#/start` (the served flows) and `#/start/<flow>`: a form generated from the flow's typed inputs (`GET /flows`):
// text, number, a checkbox for a boolean, a list for a union of literals, JSON for lists, records and `any`;
// defaults filled in. The page checks each value with protocol's checkValue; the server judges (a 422 naming an
// input is shown at that field); 202 opens the new run.
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { JsonValue, TypeRef } from '@baton/protocol';
import { checkValue, describeType } from '@baton/protocol/types';
import { ApiError, get, newActionId, post } from '../api.js';
import { href, navigate } from '../router.js';
import { may } from '../session.js';
import type { FlowInfo, FlowInput } from '../wire.js';
import { ConsolePage } from './page.js';

/** How an input is edited. */
export type FieldKind = 'text' | 'number' | 'boolean' | 'choice' | 'json';

/** The control for a type: see the file's comment. */
export function fieldKind(type: TypeRef): FieldKind {
  switch (type.kind) {
    case 'string':
      return 'text';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'literal':
      return 'choice';
    case 'union':
      return type.types.every((t) => t.kind === 'literal') ? 'choice' : 'json';
    default:
      return 'json';
  }
}

/** The literal values a `choice` field offers. */
function choices(type: TypeRef): string[] {
  return type.kind === 'literal' ? [type.value] : type.kind === 'union' ? type.types.flatMap((t) => (t.kind === 'literal' ? [t.value] : [])) : [];
}

/**
 * A field's text as the input's value: `undefined` for an empty optional field (the server fills its default).
 * @throws Error saying what is wrong (a number that is not one, JSON that does not parse, a value of another type).
 */
export function fieldValue(input: FlowInput, raw: string | boolean): JsonValue | undefined {
  const kind = fieldKind(input.type);
  let value: unknown;
  if (kind === 'boolean') value = raw === true;
  else if (typeof raw === 'string' && raw.trim() === '' && kind !== 'text') {
    if (input.default !== undefined) return undefined;
    throw new Error(`required: ${describeType(input.type)}`);
  } else if (kind === 'number') {
    const text = String(raw).trim();
    value = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : text;
  } else if (kind === 'json') {
    try {
      value = JSON.parse(String(raw));
    } catch (error) {
      throw new Error(`not JSON: ${(error as Error).message}`);
    }
  } else value = raw;
  const problem = checkValue(value, input.type);
  if (problem) throw new Error(`expects ${describeType(input.type)}: ${problem}`);
  return value as JsonValue;
}

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
    const id = `input-${input.name}`;
    const error = this.errors.get(input.name);
    const dflt = input.default;
    const text = dflt === undefined ? '' : typeof dflt === 'string' ? dflt : JSON.stringify(dflt, null, 2);
    const kind = fieldKind(input.type);
    const control =
      kind === 'boolean'
        ? html`<vscode-checkbox id=${id} data-input=${input.name} ?checked=${dflt === true} label=${input.name}></vscode-checkbox>`
        : kind === 'choice'
          ? html`<vscode-single-select id=${id} data-input=${input.name}>${choices(input.type).map((c) => html`<vscode-option value=${c} ?selected=${c === dflt}>${c}</vscode-option>`)}</vscode-single-select>`
          : kind === 'json'
            ? html`<vscode-textarea id=${id} data-input=${input.name} rows="4" class="mono" value=${text} ?invalid=${error !== undefined} placeholder=${describeType(input.type)}></vscode-textarea>`
            : html`<vscode-textfield id=${id} data-input=${input.name} inputmode=${kind === 'number' ? 'decimal' : nothing} value=${text} ?invalid=${error !== undefined} placeholder=${describeType(input.type)}></vscode-textfield>`;
    return html`<label for=${id}>${input.name} <span class="muted">${describeType(input.type)}${dflt === undefined ? '' : ' (optional)'}</span></label>${control}
      ${input.doc ? html`<p class="doc muted">${input.doc}</p>` : nothing}
      ${error ? html`<p class="field-error" role="alert" data-error-for=${input.name}>${error}</p>` : nothing}`;
  }

  private async submit(e: Event, flow: FlowInfo): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    const errors = new Map<string, string>();
    const inputs: Record<string, JsonValue> = {};
    for (const input of flow.inputs) {
      const control = this.querySelector(`[data-input="${CSS.escape(input.name)}"]`) as (HTMLInputElement & { checked?: boolean }) | null;
      if (!control) continue;
      try {
        const value = fieldValue(input, fieldKind(input.type) === 'boolean' ? control.checked === true : control.value);
        if (value !== undefined) inputs[input.name] = value;
      } catch (error) {
        errors.set(input.name, (error as Error).message);
      }
    }
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
