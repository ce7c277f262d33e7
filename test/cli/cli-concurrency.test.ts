import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { CLI } from './cli-helper.js';

/**
 * The concurrency suite of the run store (issue 10): several `baton` processes at once on one store file —
 * starting runs, interrupting and resuming them, approving waiting approvals, sending events, listing — and
 * then the store is checked against what every process printed: no run lost (every run a process printed
 * is stored), none stuck `running`, no internal error, nothing printed `succeeded` that is not stored so.
 * Agents are command agents that sleep 0.1 s, so the processes' runs overlap.
 */

const FLOWS = `
agent Nap {
  model: "command/nap"
  output: { ok: boolean }
}

flow Chain {
  output done: boolean
  step s1: Nap { prompt: "1" }
  step s2: Nap { prompt: "2" }
  step s3: Nap { prompt: "3" }
  step s4: Nap { prompt: "4" }
  set output.done = s4.output.ok
}

flow Gate {
  output decision: string
  step before: Nap { prompt: "before" }
  approval ok {
    prompt: "Go on?"
  }
  step after: Nap { prompt: "after" }
  set output.decision = ok.output.decision
}

agent Grab {
  model: "command/grab"
  output: { ok: boolean }
}

flow Held {
  step first: Grab { prompt: "takes the store's lock like another process would, and keeps it" }
  step second: Grab { prompt: "then" }
}

flow Signal {
  output done: boolean
  step before: Nap { prompt: "before" }
  wait event "go" timeout 1d
  step after: Nap { prompt: "after" }
  set output.done = after.output.ok
}
`;

/** What one `baton` process did. */
interface Invocation {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  events: RunEvent[];
  /** The run it started or continued. */
  runId?: string;
  /** The closing events it printed, in order (`succeeded`, `waiting`, …). */
  printed: string[];
}

describe('cli: several processes on one run store (concurrency suite)', function () {
  this.timeout(180_000);
  let dir: string;
  let store: string;
  const invocations: Invocation[] = [];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-concurrency-'));
    store = path.join(dir, 'runs.db');
    writeFileSync(path.join(dir, 'naps.flow'), FLOWS);
    const answer = 'echo \'{"output":{"ok":true}}\'';
    writeFileSync(
      path.join(dir, 'baton.config.json'),
      JSON.stringify({
        commands: {
          nap: { command: ['sh', '-c', `sleep 0.1; ${answer}`] },
          // with the file "grab" present: takes the store's lock (as a process holding it would) and keeps it
          grab: { command: ['sh', '-c', `if [ -e grab ]; then rm grab; until mkdir runs.db.lock 2>/dev/null; do sleep 0.01; done; fi; ${answer}`], cwd: '.' },
        },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `baton <args> --store <store>`; `onEvent` may act on the process as events arrive (SIGINT). */
  function baton(args: string[], onEvent?: (event: RunEvent, kill: (signal: NodeJS.Signals) => void) => void, extraEnv: Record<string, string> = {}): Promise<Invocation> {
    return new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
      delete env.BATON_STORE;
      const child = spawn(process.execPath, [CLI, ...args, '--store', store], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let seen = 0;
      const events: RunEvent[] = [];
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const lines = stdout.split('\n');
        for (; seen < lines.length - 1; seen++) {
          let event: RunEvent;
          try {
            event = JSON.parse(lines[seen]) as RunEvent;
          } catch {
            continue; // not an event line (`runs show --json` prints one indented object)
          }
          if (typeof event?.type !== 'string' || typeof event.runId !== 'string') continue;
          events.push(event);
          onEvent?.(event, (signal) => child.kill(signal));
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        const printed = events.filter((e) => /^run\.(succeeded|failed|cancelled|waiting)$/.test(e.type)).map((e) => e.type.slice(4));
        const invocation = { args, code: code ?? -1, stdout, stderr, events, runId: events.find((e) => e.runId)?.runId, printed };
        invocations.push(invocation);
        resolve(invocation);
      });
    });
  }

  const run = (flow: string, onEvent?: Parameters<typeof baton>[1]) => baton(['run', 'naps.flow', '--flow', flow, '--agents', 'real', '--json'], onEvent);
  const ok = (i: Invocation, what: string): Invocation => {
    assert.equal(i.code, 0, `${what}: baton ${i.args.join(' ')} exited ${i.code}\n${i.stderr}`);
    return i;
  };

  it('starting, interrupting, resuming, approving, sending and listing at once lose nothing and strand nothing', async () => {
    let working = true;
    const lists: Invocation[] = [];
    const lanes = [
      // two shells starting runs one after the other
      ...[1, 2].map(async () => {
        for (let i = 0; i < 3; i++) ok(await run('Chain'), 'a run');
      }),
      // start a run that waits for an approval, then approve it (which continues the run)
      (async () => {
        for (let i = 0; i < 2; i++) {
          const started = ok(await run('Gate'), 'a run to approve');
          assert.deepEqual(started.printed, ['waiting']);
          ok(await baton(['approve', started.runId!, 'ok', '--agents', 'real', '--json']), 'approve');
        }
      })(),
      // start a run that waits for an event, then send it
      (async () => {
        for (let i = 0; i < 2; i++) {
          const started = ok(await run('Signal'), 'a run to signal');
          assert.deepEqual(started.printed, ['waiting']);
          ok(await baton(['send', started.runId!, 'go', '--data', '{}', '--agents', 'real', '--json']), 'send');
        }
      })(),
      // Ctrl-C a run after its first step, then resume it
      (async () => {
        for (let i = 0; i < 2; i++) {
          let signalled = false;
          const started = await run('Chain', (event, kill) => {
            if (event.type === 'step.finished' && !signalled) {
              signalled = true;
              kill('SIGINT');
            }
          });
          if (started.code === 0) continue; // it finished before the signal arrived: nothing to resume
          assert.equal(started.code, 130, `an interrupted run exits 130\n${started.stderr}`);
          ok(await baton(['resume', started.runId!, '--agents', 'real', '--json']), 'resume');
        }
      })(),
    ];
    // and someone listing the runs all along
    const lister = (async () => {
      while (working) lists.push(ok(await baton(['runs', 'list', '--json', '--limit', '1000']), 'runs list'));
    })();
    try {
      await Promise.all(lanes);
    } finally {
      working = false;
      await lister;
    }

    const final = ok(await baton(['runs', 'list', '--json', '--limit', '1000']), 'runs list');
    const stored = new Map((JSON.parse(final.stdout) as { id: string; status: string }[]).map((r) => [r.id, r.status]));

    const internal = invocations.filter((i) => /internal error|bug in Baton|database is locked|Could not reset|STORE_BUSY|in use by other processes/i.test(i.stderr));
    assert.deepEqual(internal.map((i) => `${i.args.join(' ')}: ${i.stderr}`), [], 'no internal errors, no busy failures');
    const started = invocations.filter((i) => i.args[0] === 'run');
    assert.equal(started.length, 12);
    const lost = started.filter((i) => !i.runId || !stored.has(i.runId));
    assert.deepEqual(lost.map((i) => i.runId ?? i.stderr), [], 'every started run is stored');
    assert.equal(stored.size, 12, 'and nothing else');
    assert.deepEqual([...stored].filter(([, status]) => status !== 'succeeded'), [], 'every run ended succeeded (none stuck running or waiting)');
    for (const i of invocations) {
      if (i.printed.includes('succeeded')) assert.equal(stored.get(i.runId!), 'succeeded', `${i.args.join(' ')} printed succeeded`);
    }
    for (const list of lists) {
      for (const r of JSON.parse(list.stdout) as { id: string; status: string }[]) {
        assert.ok(['running', 'waiting', 'succeeded', 'interrupted'].includes(r.status), `a listed run is ${r.status}`);
      }
    }
    assert.ok(lists.length > 0);
    assert.deepEqual(['lock', 'owner', 'breaking'].filter((s) => existsSync(`${store}.${s}`)), [], 'no lock files left');
  });

  it('a run whose store stays held past the wait stops with a plain message (not failed, nothing compensated) and resumes', async () => {
    writeFileSync(path.join(dir, 'grab'), '');
    const held = await baton(['run', 'naps.flow', '--flow', 'Held', '--agents', 'real', '--json'], undefined, { BATON_STORE_WAIT_MS: '300' });
    assert.equal(held.code, 2, held.stderr);
    const runId = held.runId!;
    assert.equal(
      held.stderr.trim(),
      `baton: the run store ${store} stayed in use by other processes for 300 ms. Run ${runId} is stored up to its last stored step; continue it with: baton resume ${runId}`,
    );
    assert.deepEqual(held.printed, [], 'nothing printed as an end of the run');
    assert.equal(held.events.some((e) => e.type === 'step.finished' && e.status === 'failed'), false, 'no step failed for it');
    rmdirSync(`${store}.lock`); // the other process lets go
    const shown = ok(await baton(['runs', 'show', runId, '--json']), 'runs show');
    assert.ok(['running', 'interrupted'].includes((JSON.parse(shown.stdout) as { run: { status: string } }).run.status), shown.stdout);
    const resumed = ok(await baton(['resume', runId, '--agents', 'real', '--json']), 'resume');
    assert.deepEqual(resumed.printed, ['succeeded']);
    const after = JSON.parse(ok(await baton(['runs', 'show', runId, '--json']), 'runs show').stdout) as { run: { status: string }; events: RunEvent[] };
    assert.equal(after.run.status, 'succeeded');
    assert.deepEqual(after.events.filter((e) => e.type === 'run.failed' || e.type.startsWith('compensation.')), []);
  });
});
