// What a notification says (docs/console.md, "Notifications"): one payload built from the stored notification — ids,
// flow, task, assignee, deadline, the error's code and message, the breach, and a link into the console. Never the
// run's inputs or outputs (they may hold personal data; the link leads to them behind sign-in).
import type { JsonValue } from '@baton/protocol';
import type { NotificationKind } from '../config/notifications.js';
import type { NotificationRecord } from '../store/store-api.js';

/** The JSON body of a `format: "baton"` webhook, and what the other formats and e-mail are written from. */
export interface NotificationPayload {
  type: NotificationKind;
  /** The notification's id (`<runId>:<seq>`); the delivery's id is in the `webhook-id` header. */
  id: string;
  tenant: string;
  runId: string;
  flow: string;
  /** ISO 8601: when the event happened. */
  at: string;
  /** approval.waiting (and an approval's SLA): the approval's instance key. */
  task?: string;
  /** approval.waiting: who it is assigned to (a user name or group), when it names one. */
  assignee?: string;
  /** approval.waiting: its decision deadline (ISO 8601), when it has a timeout; sla.breached: the SLA deadline. */
  deadline?: string;
  /** run.failed: the error's stable code and message. */
  error?: { code: string; message: string };
  /** sla.breached: which SLA (`flow` or `approval:<task>`) and its length (ms). */
  breach?: { key: string; slaMs?: number };
  /** The console's page for it: the inbox row of an approval, else the run's page. */
  url: string;
}

/**
 * The console link of a notification: `<base>/#/inbox?run=<id>&task=<task>` for an approval waiting, else
 * `<base>/#/runs/<id>`; with `tenant`, the console route names it too (`&tenant=<id>`, or `?tenant=<id>`): the page
 * opens in that tenant for a user who works in several (docs/console.md).
 */
export function consoleLink(base: string, runId: string, task?: string, tenant?: string): string {
  const root = base.replace(/\/+$/, '');
  const t = tenant !== undefined ? `tenant=${encodeURIComponent(tenant)}` : '';
  return task !== undefined ? `${root}/#/inbox?run=${encodeURIComponent(runId)}&task=${encodeURIComponent(task)}${t ? `&${t}` : ''}` : `${root}/#/runs/${encodeURIComponent(runId)}${t ? `?${t}` : ''}`;
}

/** The payload of `notification`, its link under `consoleUrl` (naming the run's tenant when `linkTenant`: see {@link consoleLink}). */
export function notificationPayload(notification: NotificationRecord, consoleUrl: string, linkTenant = false): NotificationPayload {
  const link = (task?: string): string => consoleLink(consoleUrl, notification.runId, task, linkTenant ? notification.tenant : undefined);
  const event = notification.event ?? {};
  const text = (key: string): string | undefined => (typeof event[key] === 'string' ? (event[key] as string) : undefined);
  const base = { type: notification.kind, id: notification.id, tenant: notification.tenant, runId: notification.runId, flow: notification.flow, at: notification.createdAt };
  switch (notification.kind) {
    case 'approval.waiting': {
      const task = text('task');
      return { ...base, ...(task !== undefined ? { task } : {}), ...optional('assignee', text('assignee')), ...optional('deadline', text('deadline')), url: link(task) };
    }
    case 'run.failed': {
      const error = event.error as Record<string, JsonValue> | undefined;
      const code = typeof error?.code === 'string' ? error.code : 'RUN_FAILED';
      const message = typeof error?.message === 'string' ? error.message : '';
      return { ...base, error: { code, message }, url: link() };
    }
    case 'sla.breached': {
      const key = text('key') ?? 'flow';
      const task = key.startsWith('approval:') ? key.slice('approval:'.length) : undefined;
      const slaMs = typeof event.slaMs === 'number' ? event.slaMs : undefined;
      return { ...base, ...(task !== undefined ? { task } : {}), ...optional('deadline', text('deadline')), breach: { key, ...(slaMs !== undefined ? { slaMs } : {}) }, url: link(task) };
    }
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value !== undefined ? { [key]: value } : {}) as { [P in K]?: string };
}

/** A one-line title: `Approval waiting: Purchase · manager`, `Run failed: Purchase`, `SLA breached: Purchase · approval manager`. */
export function notificationTitle(payload: NotificationPayload): string {
  switch (payload.type) {
    case 'approval.waiting':
      return `Approval waiting: ${payload.flow} · ${payload.task ?? '?'}`;
    case 'run.failed':
      return `Run failed: ${payload.flow}`;
    case 'sla.breached':
      return `SLA breached: ${payload.flow}${payload.task !== undefined ? ` · approval ${payload.task}` : ''}`;
  }
}

/** The lines under the title (plain text): the run, the assignee and deadline, the error, the breach. No link. */
export function notificationDetails(payload: NotificationPayload): string[] {
  const lines = [`Run ${payload.runId}${payload.tenant !== 'default' ? ` (tenant ${payload.tenant})` : ''}`];
  if (payload.assignee) lines.push(`Assigned to ${payload.assignee}`);
  if (payload.type === 'approval.waiting' && payload.deadline) lines.push(`Decide by ${payload.deadline}`);
  if (payload.error) lines.push(`${payload.error.code}: ${payload.error.message}`);
  if (payload.breach) lines.push(`${payload.breach.key === 'flow' ? 'The run' : 'The approval'} passed its SLA${payload.deadline ? ` (due ${payload.deadline})` : ''}`);
  return lines;
}

/**
 * The webhook body of `payload` in `format`: Baton's JSON; Slack's `{text}` (mrkdwn, with the link); or a Teams
 * message carrying an Adaptive Card 1.4 (title, details, an "Open in Baton" action) as Teams' Workflows webhooks take it.
 */
export function webhookBody(payload: NotificationPayload, format: 'baton' | 'slack' | 'teams'): string {
  const title = notificationTitle(payload);
  const details = notificationDetails(payload);
  if (format === 'slack') return JSON.stringify({ text: `*${slackEscape(title)}*\n${details.map(slackEscape).join('\n')}\n<${payload.url}|Open in Baton>` });
  if (format === 'teams') {
    const card = {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
      body: [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true }, ...details.map((line) => ({ type: 'TextBlock', text: line, wrap: true }))],
      actions: [{ type: 'Action.OpenUrl', title: 'Open in Baton', url: payload.url }],
    };
    return JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] });
  }
  return JSON.stringify(payload);
}

/** Slack's mrkdwn control characters (&, <, >) escaped, as Slack's "Formatting text" page asks. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
