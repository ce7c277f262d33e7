import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batonAsync, serveUntilBanner } from '../cli/cli-helper.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { databasePerTest } from '../cluster/test-services.js';

// `baton serve` killed with SIGKILL while accepted runs wait in its run queue: the next start executes every one —
// on a SQLite store (a file in the test's folder) and on a PostgreSQL one (a database of the test's own, dropped after).

/** Starts `baton serve` (the built bin) on `store` and resolves with its process and URL once its banner is printed. */
const serve = (dir: string, store: string, args: string[]) => serveUntilBanner([dir, '--insecure', '--port', '0', '--store', store, ...args], { timeoutMs: 60_000 });

for (const kind of STORE_KINDS) {
  describe(`baton serve: nothing accepted is lost when the server is killed (${kind.name})`, function () {
    this.timeout(120_000);
    let dir: string;
    let child: ChildProcess | undefined;
    /** The store: a file, or a `postgres://` URL of a fresh database (no password in it; PGPASSWORD). */
    let store: string;
    const database = kind.name === 'PostgreSQL' ? databasePerTest('baton_serve') : undefined;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-crash-'));
      store = database?.storeUrl ?? path.join(dir, 'runs.db');
      writeFileSync(path.join(dir, 'hook.flow'), 'agent Slow { model: "command/slow" }\nflow Hook {\n  trigger webhook "/hook"\n  input n: number = 0\n  step a: Slow\n  step b: Slow\n}\n');
      // each call takes 0.3 s: with one run at a time, most accepted runs are still queued when the server dies
      writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ commands: { slow: { command: ['/bin/sh', '-c', 'sleep 0.3; echo \'{"output": "ok"}\''] } } }));
    });
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('SIGKILL with runs queued and one executing: every accepted run is stored, and the next start runs them all to success', async () => {
      const first = await serve(dir, store, ['--agents', 'real', '--concurrency', '1']);
      child = first.child;
      const ids: string[] = [];
      for (let n = 0; n < 8; n++) {
        const res = await fetch(`${first.url}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
        assert.equal(res.status, 202);
        ids.push(((await res.json()) as { runId: string }).runId);
      }
      const exited = new Promise((r) => first.child.on('exit', r));
      first.child.kill('SIGKILL');
      await exited;
      const listed = await batonAsync(['runs', 'list', '--store', store, '--json'], { cwd: dir });
      assert.equal(listed.code, 0, listed.stderr);
      const stored = JSON.parse(listed.stdout) as { id: string; status: string }[];
      assert.deepEqual(stored.map((r) => r.id).sort(), [...ids].sort(), 'every accepted run is stored');
      assert.ok(stored.filter((r) => r.status === 'queued').length >= 6, `most were still queued: ${stored.map((r) => r.status).join(', ')}`);

      const second = await serve(dir, store, ['--agents', 'real', '--concurrency', '4']);
      child = second.child;
      for (;;) {
        const health = (await (await fetch(`${second.url}/health`)).json()) as { active: number; queued: number };
        if (health.active === 0 && health.queued === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const id of ids) {
        const shown = (await (await fetch(`${second.url}/runs/${id}`)).json()) as { run: { status: string }; events: { type: string; step?: string }[] };
        assert.equal(shown.run.status, 'succeeded', id);
        assert.equal(shown.events.filter((e) => e.type === 'run.started').length, 1, `${id}: one run.started`);
        assert.deepEqual(shown.events.filter((e) => e.type === 'step.finished').map((e) => e.step), ['a', 'b'], `${id}: each step finished once`);
      }
      const stopped = new Promise((r) => second.child.on('exit', r));
      second.child.kill('SIGTERM');
      await stopped;
    });
  });
}
