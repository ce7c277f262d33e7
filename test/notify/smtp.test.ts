import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { loadSmtpSender, outboxOf, type NotificationOutbox } from '../../packages/runtime/src/index.js';
import { NotificationDispatcher } from '../../packages/runtime/src/notify/dispatcher.js';
import { compile, run, scriptedAgents, tempStore } from '../runtime/helpers.js';
import { FLOWS, settingsWith, virtualClock } from './notify-support.js';

/** A message the SMTP server accepted: envelope, decoded subject and headers, decoded body. */
interface Mail {
  from: string;
  to: string[];
  subject: string;
  headers: string;
  /** The text/plain part. */
  body: string;
  /** The text/html part (a multipart/alternative message), if any. */
  html?: string;
}

/** Decodes quoted-printable (RFC 2045 §6.7): soft line breaks removed, `=XX` as bytes, read as UTF-8. */
function quotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One MIME entity: its unfolded headers and its body, the transfer encoding (7bit, quoted-printable) undone. */
function entity(raw: string): { headers: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = /^Content-Transfer-Encoding: quoted-printable$/im.test(headers) ? quotedPrintable(raw.slice(split + 4)) : raw.slice(split + 4);
  return { headers, body };
}

/**
 * Parses a message as nodemailer writes it: unfolded headers, the Subject's RFC 2047 Q-words decoded; a
 * multipart/alternative one (RFC 2046 §5.1.4) split into its text/plain and text/html parts.
 */
function parseMail(raw: string): { subject: string; headers: string; body: string; html?: string } {
  const { headers, body } = entity(raw);
  const subjectLine = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
  const subject = subjectLine.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_, q: string) => quotedPrintable(q.replace(/_/g, ' ')));
  const boundary = /^Content-Type: multipart\/alternative;.*boundary="?([^";]+)"?/im.exec(headers)?.[1];
  if (!boundary) return { subject, headers, body };
  const parts = body.split(`--${boundary}`).slice(1, -1).map((p) => entity(p.replace(/^\r\n/, '').replace(/\r\n$/, '')));
  const part = (type: string) => parts.find((p) => new RegExp(`^Content-Type: ${type}`, 'im').test(p.headers))?.body;
  return { subject, headers, body: part('text/plain') ?? '', html: part('text/html') };
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1: no TLS, no auth; `refuse` answers RCPT TO of an address with a reply
 * code (550 permanent, 451 transient: once, then accepted).
 */
async function startSmtp(refuse: Map<string, number>): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const code = refuse.get(address.address);
      if (code === undefined) return callback();
      if (code === 451) refuse.delete(address.address);
      callback(Object.assign(new Error(code === 550 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), ...parseMail(Buffer.concat(chunks).toString('utf8')) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('notifications: e-mail over SMTP (smtp-server)', () => {
  let t: ReturnType<typeof tempStore>;
  let outbox: NotificationOutbox;
  beforeEach(async () => {
    t = tempStore();
    outbox = outboxOf(t.store)!;
    await outbox.setNotificationsEnabled(true);
  });
  afterEach(() => t.cleanup());

  it("an approval is mailed to its assignee's users and the channel's list; 550 is dead at once, 451 is tried again and sent", async () => {
    const smtp = await startSmtp(new Map([['gone@example.com', 550], ['busy@example.com', 451]]));
    const clock = virtualClock();
    const logs: string[] = [];
    const target = (to: string[], toAssignee: boolean) => ({ smtp: { host: '127.0.0.1', port: smtp.port, secure: false }, from: 'Baton <baton@example.com>', to, toAssignee });
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith(
        { name: 'approvers', on: ['approval.waiting'], email: target(['audit@example.com'], true) },
        { name: 'refused', on: ['approval.waiting'], email: target(['gone@example.com'], false) },
        { name: 'later', on: ['approval.waiting'], email: target(['busy@example.com'], false) },
      ),
      serverUrl: 'http://127.0.0.1:1',
      smtp: await loadSmtpSender(),
      now: clock.now,
      random: () => 0.5,
      log: (line) => logs.push(line),
      // as baton serve resolves it: users of the tenant whose name or group the assignee is
      assigneeEmails: (tenant, assignee) => (tenant === 'default' && assignee === 'finance' ? ['ann@example.com', 'bob@example.com'] : []),
    });
    try {
      const def = await compile(FLOWS);
      const purchase = await run(def, 'Purchase', { amount: 1200 }, { store: t.store, agents: scriptedAgents(() => 'ok') });
      assert.equal(purchase.summary.status, 'waiting');
      const runId = purchase.summary.runId;
      await dispatcher.tick();
      const byChannel = () => outbox.listDeliveries({}).then((page) => new Map(page.deliveries.map((d) => [d.channel, d])));
      let deliveries = await byChannel();
      assert.equal(deliveries.get('approvers')!.status, 'sent');
      assert.deepEqual([deliveries.get('refused')!.status, deliveries.get('refused')!.attempts], ['dead', 1]);
      assert.match(deliveries.get('refused')!.lastError!, /^SMTP 550: .*mailbox unavailable/);
      assert.deepEqual([deliveries.get('later')!.status, deliveries.get('later')!.attempts, deliveries.get('later')!.nextAt], ['pending', 1, clock.at(30_000)]);
      assert.match(deliveries.get('later')!.lastError!, /^SMTP 451: /);
      assert.equal(logs.length, 1, 'one line for the dead one');

      assert.equal(smtp.mails.length, 1);
      const [mail] = smtp.mails;
      assert.equal(mail.from, 'baton@example.com');
      assert.deepEqual(mail.to.sort(), ['ann@example.com', 'audit@example.com', 'bob@example.com']);
      assert.equal(mail.subject, 'Approval waiting: Purchase · manager');
      assert.match(mail.headers, new RegExp(`^Message-ID: <${runId}:\\d+:approvers@example.com>$`, 'm'));
      const deadline = (await t.store.getRun(runId)).waitingOn[0];
      assert.equal(mail.body, `Run ${runId}\r\nAssigned to finance\r\nDecide by ${deadline.kind === 'approval' ? deadline.deadline : '?'}\r\n\r\nhttps://baton.example.com/#/inbox?run=${runId}&task=manager\r\n`);
      // and an HTML alternative: the same lines, a button to the inbox row (& escaped in the attribute)
      assert.match(mail.headers, /^Content-Type: multipart\/alternative;/m);
      assert.ok(mail.html, 'an HTML part');
      assert.match(mail.html, /<h1[^>]*>Approval waiting: Purchase · manager<\/h1>/);
      assert.match(mail.html, new RegExp(`<p[^>]*>Run ${runId}</p>`));
      assert.match(mail.html, new RegExp(`<a href="https://baton.example.com/#/inbox\\?run=${runId}&amp;task=manager"[^>]*>Open in the inbox</a>`));

      clock.advance(30_000);
      await dispatcher.tick();
      deliveries = await byChannel();
      assert.deepEqual([deliveries.get('later')!.status, deliveries.get('later')!.attempts], ['sent', 2]);
      assert.deepEqual(smtp.mails.map((m) => m.to), [['ann@example.com', 'audit@example.com', 'bob@example.com'], ['busy@example.com']]);
    } finally {
      await dispatcher.stop();
      await smtp.close();
    }
  });

  it('an e-mail channel with nobody to write to for a notification makes no delivery (toAssignee, no user matches)', async () => {
    const clock = virtualClock();
    const dispatcher = new NotificationDispatcher({
      outbox,
      settings: settingsWith({ name: 'approvers', on: ['approval.waiting'], email: { smtp: { host: '127.0.0.1', port: 1, secure: false }, from: 'baton@example.com', to: [], toAssignee: true } }),
      serverUrl: 'http://127.0.0.1:1',
      smtp: await loadSmtpSender(),
      now: clock.now,
      log: () => undefined,
      assigneeEmails: () => [],
    });
    const def = await compile(FLOWS);
    await run(def, 'Purchase', { amount: 5 }, { store: t.store, agents: scriptedAgents(() => 'ok') });
    await dispatcher.tick();
    assert.deepEqual((await outbox.listDeliveries({})).deliveries, []);
    assert.deepEqual(await outbox.newNotifications(10), [], 'expanded all the same');
    await dispatcher.stop();
  });
});
