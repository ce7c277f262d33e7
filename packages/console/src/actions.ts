// The console's actions on a run — cancel, redrive, send an event — each behind a dialog that says what it does,
// with its own action id (kept while the same action is retried after a network error, so the server can refuse a
// replay) and the server's refusal shown in the dialog. Used by the runs list and the run page.
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { ApiError, newActionId, post } from './api.js';
import type { RunSummary } from './wire.js';
import { eventTypes, type EventForm } from './event-form.js';

/** What a confirmed dialog did: the server's answer, or `already` when the server had already done it (a replay). */
export type ActionOutcome = { done: true; answer: unknown; already?: boolean } | { done: false };

/** One action's dialog: its text, its fields, and the request a confirmation makes. */
interface ActionSpec {
  title: string;
  body: TemplateResult;
  confirm: string;
  /** Makes the request from the dialog's form (throws ApiError, or an Error for a field the page refuses). */
  run(form: HTMLFormElement, actionId: string): Promise<unknown>;
}

/** The dialog element (one in the document, reused). */
class ActionDialog extends LitElement {
  static override properties = { spec: { attribute: false }, error: { state: true }, busy: { state: true } };
  declare spec: ActionSpec | undefined;
  declare error: string | undefined;
  declare busy: boolean;
  private actionId = '';
  private settle: ((outcome: ActionOutcome) => void) | undefined;

  constructor() {
    super();
    this.spec = undefined;
    this.error = undefined;
    this.busy = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Opens the dialog for `spec`; resolves when it is confirmed and done, or closed. */
  show(spec: ActionSpec): Promise<ActionOutcome> {
    this.settle?.({ done: false });
    this.spec = spec;
    this.error = undefined;
    this.actionId = newActionId();
    return new Promise((resolve) => {
      this.settle = resolve;
      void this.updateComplete.then(() => this.querySelector('dialog')?.showModal());
    });
  }

  private close(outcome: ActionOutcome): void {
    this.querySelector('dialog')?.close();
    const settle = this.settle;
    this.settle = undefined;
    this.spec = undefined;
    settle?.(outcome);
  }

  private async confirm(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.spec || this.busy) return;
    this.busy = true;
    try {
      const answer = await this.spec.run(this.querySelector('form')!, this.actionId);
      this.close({ done: true, answer });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ACTION_REPLAYED') {
        // the first try reached the server after all: it is done
        this.close({ done: true, answer: undefined, already: true });
        return;
      }
      // a network error keeps the action id: trying again is the same action; anything else is a new one
      if (!(error instanceof ApiError && error.code === 'NETWORK')) this.actionId = newActionId();
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const spec = this.spec;
    return html`<dialog aria-labelledby="action-title" @cancel=${() => this.close({ done: false })}>
      ${spec ? html`<form method="dialog" @submit=${this.confirm}>
        <h2 id="action-title">${spec.title}</h2>
        ${spec.body}
        <p class="error" role="alert" ?hidden=${this.error === undefined}>${this.error ?? ''}</p>
        <div class="actions">
          <vscode-button id="action-confirm" ?disabled=${this.busy} @click=${this.confirm}>${spec.confirm}</vscode-button>
          <vscode-button id="action-close" secondary @click=${() => this.close({ done: false })}>Close</vscode-button>
        </div>
      </form>` : nothing}
    </dialog>`;
  }
}
customElements.define('baton-action-dialog', ActionDialog);

function dialog(): ActionDialog {
  let element = document.querySelector('baton-action-dialog') as ActionDialog | null;
  if (!element) {
    element = document.createElement('baton-action-dialog') as ActionDialog;
    document.body.append(element);
  }
  return element;
}

const runPath = (run: Pick<RunSummary, 'id'>, action: string): string => `/runs/${encodeURIComponent(run.id)}/${action}`;

/** Whether a run can be cancelled now: it has not ended. */
export function cancellable(run: Pick<RunSummary, 'status'>): boolean {
  return run.status === 'queued' || run.status === 'running' || run.status === 'waiting' || run.status === 'interrupted';
}

/** Whether a run is a dead letter a redrive continues: it failed. */
export function redrivable(run: Pick<RunSummary, 'status'>): boolean {
  return run.status === 'failed';
}

/** The events a waiting run waits for (names), for "Send event". */
export function awaitedEvents(run: Pick<RunSummary, 'waitingOn' | 'status'>): string[] {
  return run.status === 'waiting' ? [...new Set(run.waitingOn.flatMap((w) => (w.kind === 'event' ? [w.event] : [])))] : [];
}

/** Asks, then cancels a run (`POST /runs/<id>/cancel`; the server records who). */
export function cancelRun(run: RunSummary): Promise<ActionOutcome> {
  return dialog().show({
    title: `Cancel run ${run.id}?`,
    body: html`<p>Run of <b>${run.flow}</b>, ${run.status}. Its steps in progress are stopped and its compensations run; a cancelled run cannot be continued.</p>`,
    confirm: 'Cancel run',
    run: (_form, actionId) => post(runPath(run, 'cancel'), {}, actionId),
  });
}

/** Asks, then redrives a failed run (`POST /runs/<id>/redrive`): it continues from the step that failed, its retries fresh. */
export function redriveRun(run: RunSummary): Promise<ActionOutcome> {
  const error = run.error ? `${run.error.code}: ${run.error.message}` : 'failed';
  return dialog().show({
    title: `Redrive run ${run.id}?`,
    body: html`<p>Run of <b>${run.flow}</b> failed: <span class="mono">${error}</span>.</p><p>A redrive continues it from the step that failed, with fresh retries; the steps that succeeded are not run again.</p>`,
    confirm: 'Redrive',
    run: (_form, actionId) => post(runPath(run, 'redrive'), {}, actionId),
  });
}

/**
 * Asks for an event's data, then sends it to a run (`POST /runs/<id>/events/<name>`): a form from the event's declared
 * type when the run waits for it (event-form.ts), else JSON.
 */
export function sendEvent(run: RunSummary, name = awaitedEvents(run)[0] ?? ''): Promise<ActionOutcome> {
  return dialog().show({
    title: `Send an event to run ${run.id}`,
    body: html`<baton-event-form .name=${name} .types=${eventTypes(run.waitingOn)}></baton-event-form>`,
    confirm: 'Send',
    run: (form, actionId) => {
      const fields = form.querySelector('baton-event-form') as EventForm;
      const event = fields.eventName();
      if (event === '') throw new Error('name the event');
      return post(runPath(run, `events/${encodeURIComponent(event)}`), fields.data(), actionId);
    },
  });
}
