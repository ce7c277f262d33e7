import assert from 'node:assert/strict';
import { escapeHtml, notificationHtml } from '../../packages/runtime/src/notify/mail-html.js';
import type { NotificationPayload } from '../../packages/runtime/src/notify/payload.js';

// The HTML part of notification e-mails: every text from the run escaped, whatever it holds.

const HOSTILE = '<script>alert(1)</script>';
const base: NotificationPayload = { type: 'approval.waiting', id: 'R1:4', tenant: 'acme', runId: 'R1', flow: HOSTILE, at: '2026-12-05T10:00:00.000Z', url: 'https://baton.example.com/#/inbox?run=R1&task=x' };

/** The tag names in `html` (opening and closing). */
const tags = (html: string): string[] => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1].toLowerCase());
const ALLOWED = new Set(['html', 'head', 'meta', 'title', 'body', 'h1', 'p', 'a']);

describe('notifications: the e-mail HTML part', () => {
  it('escapes a hostile flow, task, assignee and error message: no element but its own, the text shown as written', () => {
    const payloads: NotificationPayload[] = [
      { ...base, task: '"><img src=x onerror=alert(1)>', assignee: "a&b' onmouseover='x" },
      { ...base, type: 'run.failed', url: 'https://baton.example.com/#/runs/R1', error: { code: 'AGENT_FAILED', message: `</p>${HOSTILE}<a href="javascript:x">` } },
      { ...base, type: 'sla.breached', task: HOSTILE, breach: { key: `approval:${HOSTILE}` }, deadline: '2026-12-05T12:00:00.000Z' },
    ];
    for (const payload of payloads) {
      const html = notificationHtml(payload);
      assert.deepEqual(tags(html).filter((t) => !ALLOWED.has(t)), [], html);
      // no attribute but its own (an injected quote would have added one)
      const attributes = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].flatMap((m) => [...m[0].matchAll(/\s([a-zA-Z-]+)=/g)].map((a) => a[1]));
      assert.deepEqual([...new Set(attributes)].filter((a) => !['charset', 'style', 'href'].includes(a)), [], html);
      assert.ok(html.includes(escapeHtml(HOSTILE)), 'the flow name is shown, escaped');
      // exactly the two links to the console, nothing else linked
      assert.deepEqual([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), [escapeHtml(payload.url), escapeHtml(payload.url)]);
    }
    const approval = notificationHtml(payloads[0]);
    assert.ok(approval.includes('Assigned to a&amp;b&#39; onmouseover=&#39;x'));
    assert.ok(approval.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(notificationHtml(payloads[1]).includes('AGENT_FAILED: &lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;javascript:x&quot;&gt;'));
  });

  it('a button to the inbox for an approval, to the run otherwise; a link that is not http(s) is not linked', () => {
    assert.match(notificationHtml(base), /<a href="https:\/\/baton\.example\.com\/#\/inbox\?run=R1&amp;task=x" style="[^"]*">Open in the inbox<\/a>/);
    assert.match(notificationHtml({ ...base, type: 'run.failed', url: 'https://baton.example.com/#/runs/R1' }), />Open the run<\/a>/);
    const odd = notificationHtml({ ...base, url: 'javascript:alert(1)' });
    assert.equal(tags(odd).includes('a'), false);
    assert.ok(odd.includes('javascript:alert(1)'), 'written as text');
  });
});
