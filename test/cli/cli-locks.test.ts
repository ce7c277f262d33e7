import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, CLI, tempWorkspace } from './cli-helper.js';

/**
 * `lock "name" { … }` across processes (issue 12, WCP-39 Critical Section): several `baton run`s on one SQLite
 * store file contend for one lock. The agents are command agents that write a ledger line when called; the lock's
 * promise — never two runs inside at once — is read off the ledger, whatever the timing.
 */

const FLOW = `
agent Work {
  model: "command/work"
}

flow Reserve {
  input who: string
  lock "stock:A1" {
    step enter: Work { prompt: "enter \${input.who}" }
    step leave: Work { prompt: "leave \${input.who}" }
  }
}
`;

// a command agent: appends "<what> <who>" to the ledger, then takes 100 ms — or, for enter, while hold-<who> exists
const AGENT = `
const fs = require('node:fs');
let body = '';
process.stdin.on('data', (c) => (body += c));
process.stdin.on('end', () => {
  const [what, who] = String(JSON.parse(body).prompt).split(' ');
  fs.appendFileSync(process.env.LEDGER, what + ' ' + who + '\\n');
  const done = () => process.stdout.write(JSON.stringify({ output: 'ok' }));
  const wait = () => (what === 'enter' && fs.existsSync('hold-' + who) ? setTimeout(wait, 20) : done());
  setTimeout(wait, 100);
});
`;

describe('cli: lock blocks across baton processes on one store', function () {
  this.timeout(120_000);
  let ws: ReturnType<typeof tempWorkspace>;
  let ledger: string;
  let store: string;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'locks.flow'), FLOW);
    writeFileSync(path.join(ws.dir, 'agent.cjs'), AGENT);
    writeFileSync(path.join(ws.dir, 'baton.config.json'), JSON.stringify({ commands: { work: { command: [process.execPath, 'agent.cjs'], cwd: '.' } } }));
  });
  after(() => ws.cleanup());
  beforeEach(function () {
    ledger = path.join(ws.dir, `ledger-${this.currentTest?.title.length}-${Date.now()}.txt`);
    store = path.join(ws.dir, `runs-${Date.now()}.db`);
  });

  /** Starts `baton <args>` in the workspace; resolves with its exit code and output once it exits. */
  function start(args: string[]) {
    const child = spawn(process.execPath, [CLI, ...args, '--store', store, '--agents', 'real'], { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1', LEDGER: ledger, BATON_STORE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
    return { child, done };
  }
  const lines = (): string[] => (existsSync(ledger) ? readFileSync(ledger, 'utf8').trim().split('\n').filter(Boolean) : []);
  async function until(probe: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`not reached: ${what} (ledger: ${lines().join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  /** The ledger as critical sections: each `enter x` is followed by its `leave x` before anyone else enters. */
  function assertOneAtATime(): void {
    const inside: string[] = [];
    for (const line of lines()) {
      const [what, who] = line.split(' ');
      if (what === 'enter') {
        assert.ok(inside.every((w) => w === who), `${who} entered while ${inside.join(', ')} was inside: ${lines().join(', ')}`);
        if (!inside.includes(who)) inside.push(who);
      } else inside.splice(inside.indexOf(who), 1);
    }
  }

  it('three baton run processes on one lock: one inside at a time; all succeed', async () => {
    const runs = ['a', 'b', 'c'].map((who) => start(['run', 'locks.flow', '--input', `who=${who}`]));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    // the runs that waited said so, and every run said when it held and gave up the lock
    assert.ok(results.some((r) => /⏸ lock "stock:A1" — waiting its turn \(held by run [0-9A-Z]{26}\)/.test(r.stdout)), results.map((r) => r.stdout).join('\n'));
    for (const r of results) assert.match(r.stdout, /lock "stock:A1" — given up/);
    assert.ok(results.some((r) => /lock "stock:A1" — held[\s\S]*lock "stock:A1" — given up/.test(r.stdout)), 'the first took it at once');
    assert.equal(lines().length, 6);
    assertOneAtATime();
    const list = baton(['locks', 'list', '--json', '--store', store], { cwd: ws.dir });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [], 'every lock was given up');
  });

  it('kill -9 of the holder: the lock stays with it (the other run keeps waiting), and its resume finishes and hands it on', async () => {
    writeFileSync(path.join(ws.dir, 'hold-a'), '');
    const holder = start(['run', 'locks.flow', '--input', 'who=a', '--json']);
    await until(() => lines().includes('enter a'), 'a entered');
    holder.child.kill('SIGKILL');
    const killed = await holder.done;
    assert.equal(killed.signal, 'SIGKILL');
    const runA = /"runId":"([0-9A-Z]{26})"/.exec(killed.stdout)?.[1];
    assert.ok(runA, killed.stdout);
    const waiter = start(['run', 'locks.flow', '--input', 'who=b', '--json']);
    // b asks for the lock and queues behind the killed holder
    await until(() => {
      const listed = baton(['locks', 'list', '--json', '--store', store], { cwd: ws.dir });
      const locks = JSON.parse(listed.stdout || '[]') as { holder: { runId: string }; queue: unknown[] }[];
      return locks.length === 1 && locks[0].holder.runId === runA && locks[0].queue.length === 1;
    }, 'b queued behind a');
    const text = baton(['locks', 'list', '--store', store], { cwd: ws.dir });
    assert.match(text.stdout, new RegExp(`^stock:A1  held by ${runA} since .+, 1 waiting\\n  1\\. [0-9A-Z]{26} waiting since `));
    assert.ok(!lines().includes('enter b'), 'b did not enter while the killed a held the lock');
    rmSync(path.join(ws.dir, 'hold-a'));
    const resumed = baton(['resume', runA, '--store', store, '--agents', 'real'], { cwd: ws.dir, env: { LEDGER: ledger, BATON_STORE: '' } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const b = await waiter.done;
    assert.equal(b.code, 0, b.stderr);
    // b waited in its process for a while (then it may have stopped waiting: the hand-over is in its log, so a resume continues it)
    const runB = /"runId":"([0-9A-Z]{26})"/.exec(b.stdout)?.[1];
    assert.ok(runB, b.stdout);
    if (!lines().includes('leave b')) {
      assert.match(b.stdout, /"type":"run.waiting"/);
      const again = baton(['resume', runB, '--store', store, '--agents', 'real'], { cwd: ws.dir, env: { LEDGER: ledger, BATON_STORE: '' } });
      assert.equal(again.code, 0, again.stderr);
    }
    assertOneAtATime();
    assert.deepEqual(lines().slice(-3), ['leave a', 'enter b', 'leave b']);
  });
});
