import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, batonAsync, batonLive, tempWorkspace, type LiveBaton } from './cli-helper.js';

// `baton runs watch` on the default SQLite store, through the built bin: runs started and decided by OTHER processes
// show up live. (The PostgreSQL path — LISTEN/NOTIFY, a lost connection — is in cli-pg-store.test.ts.)

const APPROVAL_FLOW = `agent Buyer { stub: { total: 1200 } output: { total: number } }
flow Purchase {
  output decision: string
  step quote: Buyer { prompt: "Quote" }
  approval signoff { prompt: "Buy for \${quote.output.total}?" }
  set output.decision = signoff.output.decision
}
`;

const CHAIN_FLOW = `agent W { stub: "ok" }
flow Chain {
  step a: W { prompt: "a" }
  step b: W { prompt: "b" }
}
`;

interface Line {
  type: string;
  count?: number;
  run?: { id: string; flow: string; status: string; waitingOn: { kind: string; task?: string }[]; outputs: Record<string, unknown> };
}
const parse = (line: string): Line => JSON.parse(line) as Line;
const runLine = (id: string, status: string) => (line: string) => parse(line).type === 'run' && parse(line).run!.id === id && parse(line).run!.status === status;

describe('baton runs watch (SQLite store)', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let watch: LiveBaton | undefined;
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'purchase.flow'), APPROVAL_FLOW);
    writeFileSync(path.join(ws.dir, 'chain.flow'), CHAIN_FLOW);
  });
  afterEach(() => {
    if (watch && watch.child.exitCode === null && watch.child.signalCode === null) watch.child.kill('SIGKILL');
    watch = undefined;
    ws.cleanup();
  });

  it('--json lists the runs there first, then shows runs another process starts, waits and decides, as JSON Lines; Ctrl+C ends it with 0', async () => {
    const before = await batonAsync(['run', 'chain.flow', '--json'], { cwd: ws.dir });
    assert.equal(before.code, 0, before.stderr);
    const old = (JSON.parse(before.stdout.split('\n')[0]) as { runId: string }).runId;

    watch = batonLive(['runs', 'watch', '--json'], { cwd: ws.dir });
    const first = await watch.waitForLine((l) => parse(l).type === 'listed');
    assert.deepEqual(parse(first), { type: 'listed', count: 1 });
    assert.ok(runLine(old, 'succeeded')(watch.lines[0]), watch.lines[0]);

    // another process starts a run that stops at an approval
    const started = await batonAsync(['run', 'purchase.flow', '--json'], { cwd: ws.dir });
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout.split('\n')[0]) as { runId: string }).runId;
    const waiting = parse(await watch.waitForLine(runLine(id, 'waiting')));
    assert.equal(waiting.run!.flow, 'Purchase');
    assert.deepEqual(waiting.run!.waitingOn.map((w) => [w.kind, w.task]), [['approval', 'signoff']]);

    // and a third one decides it
    const approved = await batonAsync(['approve', id, 'signoff'], { cwd: ws.dir });
    assert.equal(approved.code, 0, approved.stderr);
    const done = parse(await watch.waitForLine(runLine(id, 'succeeded')));
    assert.deepEqual(done.run!.outputs, { decision: 'approved' });

    for (const line of watch.lines) assert.ok(['run', 'listed'].includes(parse(line).type), line);
    watch.child.kill('SIGINT');
    assert.equal(await watch.exited, 0);
    assert.equal(watch.stderr(), '', 'nothing on stderr with --json');
  });

  it('prints one human line per change (time, id, flow, status); --flow and --status filter; SIGTERM ends it with 0', async () => {
    watch = batonLive(['runs', 'watch', '--flow', 'Purchase', '--status', 'waiting'], { cwd: ws.dir });
    await new Promise<void>((resolve) => {
      const check = (): void => (/watching .* for changes/i.test(watch!.stderr()) ? resolve() : void setTimeout(check, 10));
      check();
    });
    const chain = await batonAsync(['run', 'chain.flow', '--json'], { cwd: ws.dir });
    const purchase = await batonAsync(['run', 'purchase.flow', '--json'], { cwd: ws.dir });
    const chainId = (JSON.parse(chain.stdout.split('\n')[0]) as { runId: string }).runId;
    const id = (JSON.parse(purchase.stdout.split('\n')[0]) as { runId: string }).runId;
    const line = await watch.waitForLine((l) => l.includes(id));
    assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  ${id}  Purchase +waiting +approval "signoff"$`));
    // leaving --status waiting is shown once
    const at = watch.lines.length;
    assert.equal((await batonAsync(['approve', id, 'signoff', '--reject'], { cwd: ws.dir })).code, 0);
    assert.match(await watch.waitForLine((l) => l.includes(id), at), new RegExp(`  ${id}  Purchase +succeeded$`));
    assert.ok(!watch.lines.some((l) => l.includes(chainId)), 'a run of another flow is not shown');
    watch.child.kill('SIGTERM');
    assert.equal(await watch.exited, 0);
    assert.doesNotMatch(watch.stderr(), /\n\s+at /);
  });

  it('a bad --status or --limit is one line and exit 2', () => {
    const bad = baton(['runs', 'watch', '--status', 'done'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'baton: --status done: use one of running, waiting, succeeded, failed, cancelled, interrupted, queued');
    const limit = baton(['runs', 'watch', '--limit', '0'], { cwd: ws.dir });
    assert.equal(limit.code, 2);
    assert.match(limit.stderr.trim(), /^baton: --limit 0: expected a whole number above 0$/);
  });
});
