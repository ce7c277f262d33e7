import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { baton, CLI, tempWorkspace } from '../cli/cli-helper.js';
import { startReceiver, type Receiver } from './notify-support.js';

const FLOW = `agent A { stub: "ok" }
flow Purchase {
  trigger webhook "/purchase"
  approval manager { prompt: "Approve?", assignee: "finance" }
  step pay: A
}
`;

describe('baton serve (the command) sends notifications', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let receiver: Receiver | undefined;
  beforeEach(() => {
    ws = tempWorkspace();
    // its own folder: the workspace holds a copy of examples/, whose console example serves /purchase too
    mkdirSync(path.join(ws.dir, 'shop'));
    writeFileSync(path.join(ws.dir, 'shop', 'purchase.flow'), FLOW);
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    ws.cleanup();
  });
  const config = (value: unknown) => writeFileSync(path.join(ws.dir, 'shop', 'baton.config.json'), JSON.stringify(value));

  it('refuses to start (exit 2) when a channel names a variable that is not set, naming the field', () => {
    config({ notifications: { channels: { 'ops-slack': { webhook: { urlEnv: 'SLACK_WEBHOOK_URL', format: 'slack' }, on: ['run.failed'] } } } });
    const r = baton(['serve', 'shop', '--insecure', '--port', '0'], { cwd: ws.dir, env: { SLACK_WEBHOOK_URL: '' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^baton: .*baton\.config\.json: notifications\.channels\.ops-slack\.webhook\.urlEnv names SLACK_WEBHOOK_URL, which is not set\n$/);
  });

  it('an approval waiting is posted to the webhook and mailed to its assignee (out/notify-smtp.mjs) from the served store; the banner names the channels', async () => {
    receiver = await startReceiver(Buffer.from('hook-secret'));
    const mails: { to: string[]; raw: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    config({
      users: { ann: { tokenEnv: 'ANN_TOKEN', roles: ['approver'], groups: ['finance'], email: 'ann@example.com' } },
      notifications: {
        consoleUrl: 'https://baton.example.com',
        channels: {
          audit: { webhook: { urlEnv: 'AUDIT_URL', secretEnv: 'AUDIT_SECRET' }, on: ['approval.waiting'] },
          approvers: { email: { smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port }, from: 'baton@example.com', toAssignee: true }, on: ['approval.waiting'] },
        },
      },
    });
    const child = spawn(process.execPath, [CLI, 'serve', 'shop', '--port', '0', '--store', 'runs.db', '--insecure'], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', ANN_TOKEN: 'ann-token', AUDIT_URL: receiver.url, AUDIT_SECRET: 'hook-secret' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}${stderr}`)), 30_000);
        child.on('exit', (code) => reject(new Error(`baton serve exited ${code}: ${stderr}`)));
        child.stdout.on('data', () => {
          const m = /baton serve · (http:\/\/[^ ]+) ·/.exec(stdout);
          // the banner down to its metrics line (the notifications line is above it)
          if (m && stdout.includes('  metrics:')) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      assert.match(stdout, /^ {2}notifications: audit \(webhook: approval\.waiting\), approvers \(e-mail: approval\.waiting\) · links to https:\/\/baton\.example\.com$/m);
      const res = await fetch(`${url}/purchase`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 202);
      const { runId } = (await res.json()) as { runId: string };
      // the dispatcher ticks every second: wait for both to arrive (the run itself is long parked at its approval)
      for (let i = 0; receiver.deliveries.size === 0 || mails.length === 0; i++) {
        assert.ok(i < 300, 'delivered within 15 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      const [posted] = receiver.deliveries.values();
      assert.ok(posted.verified);
      assert.equal((JSON.parse(posted.body) as { url: string }).url, `https://baton.example.com/#/inbox?run=${runId}&task=manager`);
      assert.deepEqual(mails[0].to, ['ann@example.com']);
      child.kill('SIGTERM');
      assert.equal(await new Promise<number | null>((resolve) => child.on('close', resolve)), 0);
    } finally {
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
