// The "Send event" dialog's fields: the event's name, and its data — a form generated from the event's declared type
// (`event "x" { data: … }`, carried by the run's wait as `data`; typed-fields.ts, as the start page's inputs) when the
// run waits for that event and its type is known, else JSON. A record type gets one field per field; another type one
// field named `data`.
import { html, LitElement } from 'lit';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { JsonValue, TypeRef, WaitingOn } from '@baton/protocol';
import { describeType } from '@baton/protocol/types';
import { readTypedFields, renderTypedField, type TypedField } from './typed-fields.js';

/** The declared data types of the events a run waits for, by event name (undefined: not declared). */
export function eventTypes(waitingOn: readonly WaitingOn[]): Map<string, TypeRef | undefined> {
  const types = new Map<string, TypeRef | undefined>();
  for (const w of waitingOn) if (w.kind === 'event' && (!types.has(w.event) || types.get(w.event) === undefined)) types.set(w.event, w.data);
  return types;
}

/** The form's fields for data of type `type`: a record's fields, else one field `data` (the whole value). */
export function eventFields(type: TypeRef): { fields: TypedField[]; whole: boolean } {
  if (type.kind === 'record') return { fields: type.fields.map((f) => ({ name: f.name, type: f.type, optional: f.optional })), whole: false };
  return { fields: [{ name: 'data', type }], whole: true };
}

/** `<baton-event-form>`: the name field and the data's fields (see the module comment); light DOM, inside the dialog's form. */
export class EventForm extends LitElement {
  static override properties = { name: { state: true }, types: { attribute: false }, errors: { state: true } };
  declare name: string;
  declare types: Map<string, TypeRef | undefined>;
  declare errors: Map<string, string>;

  constructor() {
    super();
    this.name = '';
    this.types = new Map();
    this.errors = new Map();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** The event's name, trimmed. */
  eventName(): string {
    return this.name.trim();
  }

  /**
   * The data to send, from the typed fields or the JSON text.
   * @throws Error naming the field (or the JSON) that is wrong; the fields' errors are shown under them.
   */
  data(): JsonValue {
    const type = this.types.get(this.eventName());
    if (!type) {
      const text = ((this.querySelector('#event-data') as HTMLTextAreaElement | null)?.value ?? '').trim();
      try {
        return JSON.parse(text || 'null') as JsonValue;
      } catch (error) {
        throw new Error(`the data is not JSON: ${(error as Error).message}`);
      }
    }
    const { fields, whole } = eventFields(type);
    const { values, errors } = readTypedFields(this, fields);
    this.errors = errors;
    if (errors.size > 0) throw new Error(`${[...errors.keys()].join(', ')}: ${[...errors.values()][0]}`);
    return whole ? (values.data ?? null) : values;
  }

  override render() {
    const type = this.types.get(this.eventName());
    return html`<div class="form">
      <label for="event-name">Event</label>
      <vscode-textfield id="event-name" value=${this.name} @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}></vscode-textfield>
      ${type
        ? html`<p class="muted event-type">Its data: <span class="mono">${describeType(type)}</span></p>
            ${eventFields(type).fields.map((f) => renderTypedField(f, 'event-field-', this.errors.get(f.name)))}`
        : html`<label for="event-data">Data (JSON)</label><vscode-textarea id="event-data" rows="5" value="{}" class="mono"></vscode-textarea>`}
    </div>`;
  }
}
customElements.define('baton-event-form', EventForm);
