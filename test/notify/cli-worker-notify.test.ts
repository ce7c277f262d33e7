import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { batonLive, tempWorkspace, type LiveBaton } from '../cli/cli-helper.js';
import { databasePerTest } from '../cluster/test-services.js';
import { startReceiver, type Receiver } from './notify-support.js';

// `baton worker` sends the outbox's notifications (docs/cluster.md): a cluster whose front doors are all down still
// notifies, and two workers dispatching from one store post each delivery once. Real PostgreSQL and Redis
// (scripts/services.mjs), a real webhook receiver checking the Standard Webhooks signature.

const FLOW = `agent W { stub: "ok" }
flow Gate {
  trigger webhook "/gate"
  step first: W
  approval go { prompt: "go?", assignee: "finance" }
  step after: W
}
`;

describe('baton worker sends notifications (no baton serve running)', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let receiver: Receiver;
  let env: Record<string, string>;
  const children: LiveBaton[] = [];
  const live = (args: string[]): LiveBaton => {
    const child = batonLive(args, { cwd: ws.dir, env });
    children.push(child);
    return child;
  };
  const database = databasePerTest('baton_worker_notify', { queue: true });
  beforeEach(async () => {
    receiver = await startReceiver(Buffer.from('hook-secret'));
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'gate.flow'), FLOW);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({
      notifications: {
        consoleUrl: 'https://baton.example.com',
        channels: { ops: { webhook: { urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' }, on: ['approval.waiting'] } },
      },
    }));
    env = { BATON_STORE: database.storeUrl, BATON_QUEUE: database.queueUrl, HOOK_URL: receiver.url, HOOK_SECRET: 'hook-secret' };
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await receiver.close();
    ws.cleanup();
  });

  /** The store's deliveries by status. */
  async function deliveries(): Promise<Record<string, number>> {
    const client = new pg.Client({ connectionString: database.storeUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM notification_deliveries GROUP BY status');
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    } finally {
      await client.end();
    }
  }

  it('runs stored by a front door that then stopped reach their approval on two workers; each approval.waiting is posted once, signed', async () => {
    // the front door stores and enqueues three runs, then stops before any executes (no worker is up yet)
    const serve = live(['serve', '.', '--insecure', '--port', '0']);
    const banner = await serve.waitForLine((l) => l.startsWith('baton serve'));
    const url = /http:\/\/[\d.:]+/.exec(banner)![0];
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 202);
      runIds.push(((await res.json()) as { runId: string }).runId);
    }
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.stderr());
    assert.equal(receiver.requests.length, 0);

    const workers = [live(['worker']), live(['worker'])];
    for (const worker of workers) {
      const line = await worker.waitForLine((l) => l.startsWith('  notifications:'));
      assert.equal(line, '  notifications: ops (webhook: approval.waiting) · links to https://baton.example.com');
    }
    // every delivery marked sent in the store: a second post of one would have needed a claim of it, made before that mark
    const end = Date.now() + 60_000;
    while ((await deliveries()).sent !== 3) {
      assert.ok(Date.now() < end, `3 deliveries sent within 60 s; ${JSON.stringify(await deliveries())}; ${workers.map((w) => w.stderr()).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await deliveries(), { sent: 3 });
    assert.equal(receiver.requests.length, 3, `one post per delivery: ${receiver.requests.map((r) => r.id).join(', ')}`);
    assert.equal(new Set(receiver.requests.map((r) => r.id)).size, 3);
    assert.ok(receiver.requests.every((r) => r.verified));
    const posted = receiver.requests.map((r) => JSON.parse(r.body) as { type: string; runId: string; url: string });
    assert.deepEqual(posted.map((p) => p.runId).sort(), [...runIds].sort());
    for (const p of posted) {
      assert.equal(p.type, 'approval.waiting');
      assert.equal(p.url, `https://baton.example.com/#/inbox?run=${p.runId}&task=go`);
    }
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) assert.equal(await worker.exited, 0, worker.stderr());
  });

  it('--no-notifications: the worker reads no notification settings (a channel whose variable is unset stops it otherwise, exit 2)', async () => {
    delete env.HOOK_URL;
    const refused = live(['worker']);
    assert.equal(await refused.exited, 2);
    assert.match(refused.stderr(), /^baton: .*baton\.config\.json: notifications\.channels\.ops\.webhook\.urlEnv names HOOK_URL, which is not set\n$/);
    const worker = live(['worker', '--no-notifications']);
    await worker.waitForLine((l) => l.startsWith('baton worker'));
    assert.equal(worker.lines.length, 1, worker.lines.join('\n'));
  });

  it('without notifications.consoleUrl a worker sends none (their links need the console) and says so', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ notifications: { channels: { ops: { webhook: { urlEnv: 'HOOK_URL' }, on: ['approval.waiting'] } } } }));
    const worker = live(['worker']);
    const line = await worker.waitForLine((l) => l.startsWith('  notifications:'));
    assert.equal(line, "  notifications: not sent by this worker (notifications.consoleUrl is unset: their links need the console's address); baton serve sends them");
  });
});
