// The HTML part of a notification e-mail (beside its plain-text part): the title, the detail lines and a link button
// into the console. Every text from the run (flow, task, assignee, error message, ids) is HTML-escaped; the link is
// escaped as an attribute and must be http(s). Inline styles only: mail clients drop <style> and never run scripts.
import { notificationDetails, notificationTitle, type NotificationPayload } from './payload.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` with `& < > " '` replaced by their character references: safe as element content and as a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The button's label for a notification: to the inbox for an approval, else to the run. */
function buttonLabel(payload: NotificationPayload): string {
  return payload.type === 'approval.waiting' ? 'Open in the inbox' : 'Open the run';
}

/**
 * The HTML document of a notification e-mail: title (h1), details (one paragraph each, as notificationDetails gives
 * them), a button linking to `payload.url` and the link written out (for clients that hide buttons). A URL that is not
 * http(s) is written as text, never linked.
 */
export function notificationHtml(payload: NotificationPayload): string {
  const title = escapeHtml(notificationTitle(payload));
  const details = notificationDetails(payload).map((line) => `<p style="margin:0 0 6px 0">${escapeHtml(line)}</p>`).join('\n');
  const url = escapeHtml(payload.url);
  const linked = /^https?:\/\//i.test(payload.url);
  const button = linked
    ? `<p style="margin:18px 0"><a href="${url}" style="display:inline-block;padding:10px 18px;background:#0e639c;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600">${escapeHtml(buttonLabel(payload))}</a></p>\n<p style="margin:0;color:#6b6b6b;font-size:12px"><a href="${url}" style="color:#6b6b6b">${url}</a></p>`
    : `<p style="margin:18px 0;color:#6b6b6b;font-size:12px">${url}</p>`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body style="margin:0;padding:24px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;color:#1f1f1f">
<h1 style="margin:0 0 12px 0;font-size:18px">${title}</h1>
${details}
${button}
</body></html>
`;
}
