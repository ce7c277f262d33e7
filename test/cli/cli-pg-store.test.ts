import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { batonAsync, batonLive, cliBundleText, ROOT, serveUntilBanner, tempWorkspace, type CliResult, type LiveBaton, type CrashReport } from './cli-helper.js';
import { APPROVAL_FLOW, EVENT_FLOW, runIdOf } from './cli-flows.js';
import { databasePerTest, testServices, withAdmin } from '../cluster/test-services.js';

// The CLI on a PostgreSQL run store (`--store postgres://…` / BATON_STORE), through the built bin, against the real
// server scripts/services.mjs starts (BATON_TEST_PG_URL, no password in it; PGPASSWORD). Each test gets a database of
// its own, dropped after it, so runs never mix.

const CHAIN_FLOW = `agent W { stub: "ok" }
flow Chain {
  step a: W { prompt: "a" }
  parallel {
    step b: W { prompt: "b" }
    step c: W { prompt: "c" }
  }
  step d: W { prompt: "d" }
}
`;

const HOOK_FLOW = `agent W { stub: "ok" }
flow Hook {
  trigger webhook "/hook"
  input n: number = 0
  step a: W
  step b: W
}
`;

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Asserts a failure a user sees: exit 2, one line on stderr, nothing on stdout, no stack, no `secret`. */
function assertOneLine(r: CliResult, pattern: RegExp, secret?: string): void {
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  if (secret) assert.ok(!r.stderr.includes(secret), `the password is printed: ${r.stderr}`);
}

describe('baton on a PostgreSQL run store (--store postgres://…)', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  /** This test's store: the URL of its database (no password in it). */
  let url: string;
  let serving: ChildProcess | undefined;

  const database = databasePerTest('baton_cli');
  beforeEach(() => {
    url = database.storeUrl;
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'purchase.flow'), APPROVAL_FLOW);
    writeFileSync(path.join(ws.dir, 'chain.flow'), CHAIN_FLOW);
  });
  afterEach(() => {
    if (serving && serving.exitCode === null && serving.signalCode === null) serving.kill('SIGKILL');
    serving = undefined;
    ws.cleanup();
  });

  it('baton run keeps the run in PostgreSQL (no SQLite file is made); runs list and runs show read it back', async () => {
    const started = await batonAsync(['run', 'chain.flow', '--store', url], { cwd: ws.dir });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /✓ succeeded/);
    const id = /run ([0-9A-Z]{26}) stored in (\S+)/.exec(started.stdout);
    assert.ok(id, started.stdout);
    assert.equal(id[2], url, 'the store is named by its URL');
    assert.match(started.stdout, new RegExp(`baton runs show ${id[1]} --store ${url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}\\n`), 'the suggested command names the store');
    assert.equal(existsSync(path.join(ws.dir, '.baton')), false, 'nothing was written to the default SQLite store');

    const listed = await batonAsync(['runs', 'list', '--store', url, '--json'], { cwd: ws.dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as { id: string; flow: string; status: string }[]).map((r) => [r.id, r.flow, r.status]), [[id[1], 'Chain', 'succeeded']]);
    const shown = await batonAsync(['runs', 'show', id[1].slice(0, 10), '--store', url, '--json'], { cwd: ws.dir });
    assert.equal(shown.code, 0, shown.stderr);
    const { run, events } = JSON.parse(shown.stdout) as { run: { id: string; status: string }; events: { type: string; step?: string; seq: number }[] };
    assert.equal(run.id, id[1]);
    assert.deepEqual(events.filter((e) => e.type === 'step.finished').map((e) => e.step).sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    // the rows are in this test's database
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      assert.deepEqual((await db.query('SELECT id, status FROM runs')).rows, [{ id: id[1], status: 'succeeded' }]);
    } finally {
      await db.end();
    }
  });

  it('a flow waiting on an approval (BATON_STORE=postgres://…) is approved and resumed to success', async () => {
    const env = { BATON_STORE: url };
    const started = await batonAsync(['run', 'purchase.flow', '--json'], { cwd: ws.dir, env });
    assert.equal(started.code, 0, started.stderr);
    const id = runIdOf(started.stdout);
    const waiting = JSON.parse((await batonAsync(['runs', 'show', id, '--json'], { cwd: ws.dir, env })).stdout) as { run: { status: string } };
    assert.equal(waiting.run.status, 'waiting');

    const approved = await batonAsync(['approve', id, 'signoff', '--by', 'dana'], { cwd: ws.dir, env });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Recorded "approved" for signoff/);
    assert.match(approved.stdout, /✓ succeeded/);
    const done = JSON.parse((await batonAsync(['runs', 'show', id, '--json'], { cwd: ws.dir, env })).stdout) as { run: { status: string; outputs: { decision: string } } };
    assert.equal(done.run.status, 'succeeded');
    assert.equal(done.run.outputs.decision, 'approved');
  });

  it('send delivers an event to a waiting run and cancel ends another, on the PostgreSQL store', async () => {
    writeFileSync(path.join(ws.dir, 'payment.flow'), EVENT_FLOW);
    const env = { BATON_STORE: url };
    const paid = runIdOf((await batonAsync(['run', 'payment.flow', '--json'], { cwd: ws.dir, env })).stdout);
    const other = runIdOf((await batonAsync(['run', 'payment.flow', '--json'], { cwd: ws.dir, env })).stdout);
    const sent = await batonAsync(['send', paid, 'payment.received', '--data', '{"amount": 10}'], { cwd: ws.dir, env });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /✓ succeeded/);
    const cancelled = await batonAsync(['cancel', other], { cwd: ws.dir, env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const runs = JSON.parse((await batonAsync(['runs', 'list', '--json'], { cwd: ws.dir, env })).stdout) as { id: string; status: string; outputs: { paid?: boolean } }[];
    assert.deepEqual(
      runs.map((r) => [r.id, r.status]).sort(),
      [
        [paid, 'succeeded'],
        [other, 'cancelled'],
      ].sort(),
    );
    assert.equal(runs.find((r) => r.id === paid)!.outputs.paid, true);
  });

  it('an unknown run id on the PostgreSQL store is a usage error (exit 2, one line) for show, approve and cancel', async () => {
    for (const args of [['runs', 'show', 'NOPE'], ['approve', 'NOPE', 'x'], ['cancel', 'NOPE']]) {
      const r = await batonAsync([...args, '--store', url], { cwd: ws.dir });
      assertOneLine(r, new RegExp(`^baton: no run with id "NOPE" in ${url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}$`));
    }
  });

  it('baton test --crash-at passes on the PostgreSQL store: killed at the step, resumed, each step finished once', async () => {
    for (const step of ['a', 'c']) {
      const r = await batonAsync(['test', 'chain.flow', '--crash-at', step, '--store', url, '--json'], { cwd: ws.dir });
      const report = JSON.parse(r.stdout) as CrashReport;
      assert.equal(r.code, 0, `${step}: ${report.problem} ${r.stderr}`);
      assert.equal(report.crashed, true);
      assert.equal(report.status, 'succeeded');
      assert.deepEqual(report.steps, { a: 1, b: 1, c: 1, d: 1 });
      // the crashed and resumed run is the store's
      const shown = JSON.parse((await batonAsync(['runs', 'show', report.runId, '--store', url, '--json'], { cwd: ws.dir })).stdout) as { run: { status: string } };
      assert.equal(shown.run.status, 'succeeded');
    }
  });

  it('a password in the URL is used and never printed: not in the run output, runs show, or the store', async () => {
    const secret = process.env.PGPASSWORD!;
    const withPassword = new URL(url);
    withPassword.password = secret;
    const env = { PGPASSWORD: '' };
    const started = await batonAsync(['run', 'chain.flow', '--store', withPassword.toString()], { cwd: ws.dir, env });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, new RegExp(`stored in ${url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')} `));
    const id = /run ([0-9A-Z]{26}) stored/.exec(started.stdout)![1];
    const shown = await batonAsync(['runs', 'show', id, '--store', withPassword.toString()], { cwd: ws.dir, env });
    assert.equal(shown.code, 0, shown.stderr);
    for (const out of [started.stdout, started.stderr, shown.stdout, shown.stderr]) assert.ok(!out.includes(secret), `the password is printed: ${out}`);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const dump = await db.query(`SELECT count(*) AS n FROM (SELECT row_to_json(r)::text AS t FROM runs r UNION ALL SELECT row_to_json(e)::text FROM events e) x WHERE strpos(t, $1) > 0`, [secret]);
      assert.equal(Number(dump.rows[0].n), 0, 'the password is stored');
    } finally {
      await db.end();
    }
  });

  it('a refused password: exit 2, one line naming the server and the user, the password not printed', async () => {
    const wrong = new URL(url);
    wrong.password = 'not-the-password-x9';
    const r = await batonAsync(['runs', 'list', '--store', wrong.toString()], { cwd: ws.dir });
    const where = `${wrong.hostname}:${wrong.port}`;
    assertOneLine(r, new RegExp(`^baton: --store postgres://baton@${where.replace(/\./g, '\\.')}/${database.name}: PostgreSQL at ${where.replace(/\./g, '\\.')} refused the password of user "baton"`), 'not-the-password-x9');
    const run = await batonAsync(['run', 'chain.flow', '--store', wrong.toString()], { cwd: ws.dir });
    assertOneLine(run, /refused the password/, 'not-the-password-x9');
  });

  it('no password given (PGPASSWORD empty, none in the URL): exit 2 at once with one line saying so, for runs list and run — the half-open login does not keep the process alive', async function () {
    // without the fix the message was printed and the process then waited for the server's authentication_timeout
    // (60 s) to close the connection pg-pool had left open: this test's own limit is well under that
    this.timeout(30_000);
    const env = { PGPASSWORD: '' };
    const where = new URL(url).host.replace(/\./g, '\\.');
    for (const args of [['runs', 'list', '--store', url], ['run', 'chain.flow', '--store', url]]) {
      const r = await batonAsync(args, { cwd: ws.dir, env });
      assertOneLine(r, new RegExp(`^baton: --store .*: PostgreSQL at ${where} asks user "baton" for a password and none was given \\(set PGPASSWORD\\)$`));
    }
  });

  it('PostgreSQL not listening at the port: exit 2, one line naming host:port, for run, runs list and approve', async () => {
    const port = await closedPort();
    const down = `postgres://baton:s3cret-down@127.0.0.1:${port}/baton`;
    for (const args of [['run', 'chain.flow'], ['runs', 'list'], ['approve', '01ABC', 'signoff']]) {
      const r = await batonAsync([...args, '--store', down], { cwd: ws.dir });
      assertOneLine(r, new RegExp(`^baton: --store postgres://baton@127\\.0\\.0\\.1:${port}/baton: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused`), 's3cret-down');
    }
  });

  it('baton serve on the PostgreSQL store: a webhook run executes on the executor thread and is stored there', async () => {
    writeFileSync(path.join(ws.dir, 'hook.flow'), HOOK_FLOW);
    const { child, url: base, stdout } = await serveUntilBanner([ws.dir, '--insecure', '--port', '0', '--store', url], { cwd: ws.dir, timeoutMs: 60_000 });
    serving = child;
    assert.equal(/ · store (\S+) ·/.exec(stdout())?.[1], url, 'the banner names the store');
    const res = await fetch(`${base}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 1 }) });
    assert.equal(res.status, 202);
    const { runId } = (await res.json()) as { runId: string };
    for (;;) {
      const health = (await (await fetch(`${base}/health`)).json()) as { active: number; queued: number };
      if (health.active === 0 && health.queued === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const stopped = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await stopped;
    const shown = JSON.parse((await batonAsync(['runs', 'show', runId, '--store', url, '--json'], { cwd: ws.dir })).stdout) as { run: { status: string }; events: { type: string; step?: string }[] };
    assert.equal(shown.run.status, 'succeeded');
    assert.deepEqual(shown.events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['a', 'b']);
  });

  it('runs watch --json (BATON_STORE) shows runs other processes start and decide, via LISTEN/NOTIFY; a killed listening session is said once on stderr, it reconnects and goes on; SIGTERM ends it with 0', async () => {
    const env = { BATON_STORE: url };
    const watch: LiveBaton = batonLive(['runs', 'watch', '--json'], { cwd: ws.dir, env });
    try {
      type Line = { type: string; count?: number; run?: { id: string; status: string; flow: string } };
      const parse = (line: string) => JSON.parse(line) as Line;
      const runLine = (id: string, status: string) => (line: string) => parse(line).run?.id === id && parse(line).run?.status === status;
      assert.deepEqual(parse(await watch.waitForLine((l) => parse(l).type === 'listed')), { type: 'listed', count: 0 });

      const started = await batonAsync(['run', 'purchase.flow', '--json'], { cwd: ws.dir, env });
      assert.equal(started.code, 0, started.stderr);
      const id = runIdOf(started.stdout);
      assert.equal(parse(await watch.waitForLine(runLine(id, 'waiting'))).run!.flow, 'Purchase');
      assert.equal((await batonAsync(['approve', id, 'signoff'], { cwd: ws.dir, env })).code, 0);
      await watch.waitForLine(runLine(id, 'succeeded'));

      // the server ends the watch's session (a restart, a failover): one line on stderr, then it listens again
      const killed = await withAdmin((admin) => admin.query("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE 'baton watch %' AND datname = $1", [database.name]));
      assert.equal(killed.rows[0].n, 1);
      while (!/listening again/.test(watch.stderr())) await new Promise((resolve) => setTimeout(resolve, 20));
      const lines = watch.stderr().trim().split('\n');
      assert.equal(lines.length, 2, watch.stderr());
      assert.match(lines[0], /^baton: .*PostgreSQL at 127\.0\.0\.1:\d+.*; reconnecting$/);
      assert.match(lines[1], /^baton: listening again to PostgreSQL at 127\.0\.0\.1:\d+/);
      const again = await batonAsync(['run', 'chain.flow', '--json'], { cwd: ws.dir, env });
      assert.equal(again.code, 0, again.stderr);
      await watch.waitForLine(runLine(runIdOf(again.stdout), 'succeeded'));
      for (const line of watch.lines) assert.ok(['run', 'listed'].includes(parse(line).type), line);
      watch.child.kill('SIGTERM');
      assert.equal(await watch.exited, 0);
      assert.doesNotMatch(watch.stderr(), /\n\s+at |PGPASSWORD|internal error/);
      assert.ok(!watch.stderr().includes(testServices().pgPassword));
    } finally {
      if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    }
  });

  it('out/cli.mjs carries none of the cluster package: it is out/cluster.mjs, loaded only for a postgres:// store', () => {
    // markers: the store's migrations (pg_advisory_xact_lock, baton_schema) and node-postgres' SCRAM login
    const markers = ['pg_advisory_xact_lock', 'baton_schema', 'SCRAM-SHA-256'];
    const cli = cliBundleText();
    assert.deepEqual(markers.filter((m) => cli.includes(m)), [], 'the PostgreSQL store or node-postgres is bundled into cli.mjs or its chunks');
    // out/cluster.mjs and the chunks it shares with out/board.mjs (BullMQ, which imports node-postgres too)
    const chunks = path.join(ROOT, 'out', 'chunks');
    const cluster = [path.join(ROOT, 'out', 'cluster.mjs'), ...readdirSync(chunks).filter((f) => f.endsWith('.mjs')).map((f) => path.join(chunks, f))].map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.deepEqual(markers.filter((m) => cluster.includes(m)), markers);
  });
});
