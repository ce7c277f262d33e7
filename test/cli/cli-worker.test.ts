import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batonAsync, batonLive, tempWorkspace, type LiveBaton } from './cli-helper.js';
import { databasePerTest } from '../cluster/test-services.js';

// `baton worker` and `baton serve --queue` through the built bin, on the real PostgreSQL and Redis that
// scripts/services.mjs starts. Each test has a database of its own and a Redis database index of its own.

const FLOWS = `agent W { stub: "ok" }
flow Slow {
  trigger webhook "/slow"
  input n: number = 0
  step a: W { prompt: "a \${input.n}" }
  wait 3s
  step b: W { prompt: "b" }
}
flow Gate {
  trigger webhook "/gate"
  step first: W
  approval go { prompt: "go?" }
  step after: W
}
`;

interface Event {
  type: string;
  step?: string;
  takeover?: boolean;
}

describe('baton worker and baton serve --queue (a cluster on one machine)', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let env: Record<string, string>;
  const children: LiveBaton[] = [];
  const live = (args: string[]): LiveBaton => {
    const child = batonLive(args, { cwd: ws.dir, env });
    children.push(child);
    return child;
  };
  const runsOf = async (): Promise<{ id: string; flow: string; status: string }[]> => {
    const r = await batonAsync(['runs', 'list', '--json', '--limit', '1000'], { cwd: ws.dir, env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string; flow: string; status: string }[];
  };
  const eventsOf = async (id: string): Promise<Event[]> => {
    const r = await batonAsync(['runs', 'show', id, '--json'], { cwd: ws.dir, env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { events: Event[] }).events;
  };
  async function until<T>(check: () => Promise<T | undefined | false>, what: string, ms = 40_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ${children.map((c) => c.stderr()).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Starts `baton serve --queue` on a free port; its URL. */
  async function frontDoor(): Promise<string> {
    const serve = live(['serve', '.', '--insecure', '--port', '0']);
    const banner = await serve.waitForLine((l) => l.startsWith('baton serve'));
    assert.match(banner, /front door: runs go to queue redis:\/\/127\.0\.0\.1:\d+\/\d+ for baton worker/);
    return /http:\/\/[\d.:]+/.exec(banner)![0];
  }

  const database = databasePerTest('baton_worker', { queue: true });
  beforeEach(() => {
    env = { BATON_STORE: database.storeUrl, BATON_QUEUE: database.queueUrl };
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'cluster.flow'), FLOWS);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    ws.cleanup();
  });

  it('a worker killed (SIGKILL) in the middle of a run: another takes it over once the lease runs out; nothing finished runs twice', async () => {
    const url = await frontDoor();
    const first = live(['worker', '--lease', '1s', '--reconcile-every', '1s']);
    await first.waitForLine((l) => l.startsWith('baton worker'));
    const answer = await fetch(`${url}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 7}' });
    assert.equal(answer.status, 202);
    const { runId } = (await answer.json()) as { runId: string };
    // the first worker sleeps through `wait 3s` holding the run: kill it there
    await until(async () => (await eventsOf(runId)).some((e) => e.type === 'wait.started'), 'the wait to start');
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    const second = live(['worker', '--lease', '1s', '--reconcile-every', '1s']);
    await second.waitForLine((l) => l.startsWith('baton worker'));
    await until(async () => (await runsOf()).find((r) => r.id === runId && r.status === 'succeeded'), 'the run to succeed on the second worker');
    const events = await eventsOf(runId);
    assert.deepEqual(events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['a', 'b'], 'one step.finished per step');
    assert.equal(events.filter((e) => e.type === 'run.resumed' && e.takeover === true).length, 1, 'the takeover is in the log');
    assert.equal(events.filter((e) => e.type === 'timer.fired').length, 1);
    assert.ok(Date.now() - killedAt < 30_000);
  });

  it('serve --queue stores and enqueues; a decision through the runs API continues the run on a worker', async () => {
    const url = await frontDoor();
    live(['worker', '--reconcile-every', '1s']);
    const answer = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(answer.status, 202);
    const { runId } = (await answer.json()) as { runId: string };
    await until(async () => (await runsOf()).find((r) => r.id === runId && r.status === 'waiting'), 'the run to wait for its approval');
    const decided = await fetch(`${url}/runs/${runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-user': 'ops' }, body: '{"task":"go"}' });
    assert.equal(decided.status, 202, await decided.text());
    await until(async () => (await runsOf()).find((r) => r.id === runId && r.status === 'succeeded'), 'the approved run to finish');
    assert.deepEqual((await eventsOf(runId)).filter((e) => e.type === 'step.finished').map((e) => e.step), ['first', 'after']);
  });

  it('two serve --queue processes admit a tenant\'s rateLimit once between them (counted in Redis), 429 with Retry-After beyond it', async () => {
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ tenants: { default: { rateLimit: { max: 3, perMs: 60_000 } } } }));
    const doors = [await frontDoor(), await frontDoor()];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await fetch(`${doors[i % 2]}/gate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      statuses.push(answer.status);
      if (answer.status === 429) assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    }
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429], 'the limit is the cluster\'s, not each front door\'s');
    assert.equal((await runsOf()).length, 3);
  });

  it('baton approve with a queue (BATON_QUEUE) stores the decision and hands the run to the workers, continuing nothing itself', async () => {
    const url = await frontDoor();
    live(['worker', '--reconcile-every', '60s']);
    const answer = await fetch(`${url}/gate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const { runId } = (await answer.json()) as { runId: string };
    await until(async () => (await runsOf()).find((r) => r.id === runId && r.status === 'waiting'), 'the run to wait for its approval');
    const approved = await batonAsync(['approve', runId, 'go', '--by', 'ops'], { cwd: ws.dir, env });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`Recorded "approved" for go on run ${runId}\\.\\nRun ${runId} goes to the workers of redis://127\\.0\\.0\\.1:\\d+/\\d+\\.`));
    assert.doesNotMatch(approved.stdout, /succeeded/, 'the CLI did not execute the run');
    await until(async () => (await runsOf()).find((r) => r.id === runId && r.status === 'succeeded'), 'a worker to finish the run (no reconciler within the test: the job did it)');
  });

  it('refuses a queue that is not there, a wrong queue URL and a missing --queue with one line and exit 2', async () => {
    const down = await batonAsync(['worker', '--queue', 'redis://127.0.0.1:1'], { cwd: ws.dir, env });
    assert.equal(down.code, 2, down.stderr);
    assert.match(down.stderr.trim(), /^baton: --queue: cannot reach Redis at 127\.0\.0\.1:1: connection refused \(is redis-server running and listening there\?\)$/);
    const wrong = await batonAsync(['worker', '--queue', 'http://example.com'], { cwd: ws.dir, env });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr.trim(), /^baton: --queue: the queue URL "http:\/\/example\.com\/?" is not a redis:\/\/ URL$/);
    const missing = await batonAsync(['worker'], { cwd: ws.dir, env: { BATON_STORE: env.BATON_STORE, BATON_QUEUE: '' } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr.trim(), /--queue redis:\/\/host:6379 is required \(or set BATON_QUEUE\)/);
    const noStore = await batonAsync(['worker', '--store', 'postgres://baton@127.0.0.1:1/nowhere'], { cwd: ws.dir, env });
    assert.equal(noStore.code, 2);
    assert.match(noStore.stderr.trim(), /^baton: --store postgres:\/\/baton@127\.0\.0\.1:1\/nowhere: cannot reach PostgreSQL at 127\.0\.0\.1:1: connection refused/);
    const ghost = await batonAsync(['worker', '--tenants', 'default,ghost'], { cwd: ws.dir, env });
    assert.equal(ghost.code, 2);
    assert.match(ghost.stderr.trim(), /^baton: --tenants: no tenant "ghost" in baton\.config\.json \(none found\); its tenants: default$/);
    const lease = await batonAsync(['worker', '--lease', '10ms'], { cwd: ws.dir, env });
    assert.equal(lease.code, 2);
    assert.match(lease.stderr, /--lease 10ms: expected a duration from 1s to 1h/);
  });
});
