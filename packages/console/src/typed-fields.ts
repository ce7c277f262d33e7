// Form fields generated from the language's types, shared by the start page (a flow's typed inputs) and the "Send
// event" dialog (a declared event's data): text, number, a checkbox for a boolean, a list for a union of literals,
// JSON for lists, records and `any`; defaults filled in. Each value is checked with protocol's checkValue.
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { JsonValue, TypeRef } from '@baton/protocol';
import { checkValue, describeType } from '@baton/protocol/types';

/** One field: a flow's input (`GET /flows`) or a field of an event's declared data. */
export interface TypedField {
  name: string;
  type: TypeRef;
  /** Its default: an empty field is left out (the server fills it in). */
  default?: JsonValue;
  /** A record field marked `?`: an empty field is left out. */
  optional?: boolean;
  doc?: string;
}

/** How a field is edited. */
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
 * A field's text as its value: `undefined` for an empty field with a default (the server fills it) or an optional one.
 * @throws Error saying what is wrong (a number that is not one, JSON that does not parse, a value of another type).
 */
export function fieldValue(input: TypedField, raw: string | boolean): JsonValue | undefined {
  const kind = fieldKind(input.type);
  let value: unknown;
  if (kind === 'boolean') value = raw === true;
  else if (typeof raw === 'string' && raw.trim() === '' && (kind !== 'text' || input.optional)) {
    if (input.default !== undefined || input.optional) return undefined;
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

/**
 * The label, control, doc and error of field `input`: the control's id is `<prefix><name>` and it carries
 * `data-input="<name>"` (what {@link readTypedFields} reads); `error` is shown under it.
 */
export function renderTypedField(input: TypedField, prefix: string, error: string | undefined): TemplateResult {
  const id = `${prefix}${input.name}`;
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
  return html`<label for=${id}>${input.name} <span class="muted">${describeType(input.type)}${dflt === undefined && !input.optional ? '' : ' (optional)'}</span></label>${control}
    ${input.doc ? html`<p class="doc muted">${input.doc}</p>` : nothing}
    ${error ? html`<p class="field-error" role="alert" data-error-for=${input.name}>${error}</p>` : nothing}`;
}

/** The values of `fields` rendered by {@link renderTypedField} under `root`, and what is wrong per field. */
export function readTypedFields(root: ParentNode, fields: readonly TypedField[]): { values: Record<string, JsonValue>; errors: Map<string, string> } {
  const values: Record<string, JsonValue> = {};
  const errors = new Map<string, string>();
  for (const input of fields) {
    const control = root.querySelector(`[data-input="${CSS.escape(input.name)}"]`) as (HTMLInputElement & { checked?: boolean }) | null;
    if (!control) continue;
    try {
      const value = fieldValue(input, fieldKind(input.type) === 'boolean' ? control.checked === true : control.value);
      if (value !== undefined) values[input.name] = value;
    } catch (error) {
      errors.set(input.name, (error as Error).message);
    }
  }
  return { values, errors };
}
