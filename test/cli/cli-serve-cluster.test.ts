import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { serveUntilBanner, tempWorkspace } from './cli-helper.js';
import { databasePerTest } from '../cluster/test-services.js';

// Two `baton serve` front doors on one PostgreSQL store (the built bin, the real server scripts/services.mjs starts):
// an Idempotency-Key makes exactly one run whichever door each copy of a request goes through, at the same moment.

const HOOK_FLOW = `agent W { stub: "ok" }
flow Hook {
  trigger webhook "/hook"
  input n: number = 0
  step a: W
}
`;

/** Starts `baton serve` on `folder` and the store `url`; resolves with its base URL once it serves. */
async function serve(folder: string, cwd: string, url: string): Promise<{ child: ChildProcess; base: string }> {
  const { child, url: base } = await serveUntilBanner([folder, '--insecure', '--port', '0', '--store', url], { cwd, timeoutMs: 60_000 });
  return { child, base };
}

/** Resolves when the server at `base` executes and queues nothing. */
async function idle(base: string): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${base}/health`)).json()) as { active: number; queued: number };
    if (health.active === 0 && health.queued === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('baton serve: two front doors on one PostgreSQL store', function () {
  this.timeout(180_000);
  let ws: ReturnType<typeof tempWorkspace>;
  const serving: ChildProcess[] = [];

  // the front doors stop gracefully before their database is dropped: this afterEach is registered first
  afterEach(async () => {
    for (const child of serving.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const stopped = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await stopped;
    }
    ws.cleanup();
  });
  const database = databasePerTest('baton_doors');
  beforeEach(() => {
    ws = tempWorkspace();
    mkdirSync(path.join(ws.dir, 'served'));
    writeFileSync(path.join(ws.dir, 'served', 'hook.flow'), HOOK_FLOW);
  });

  it('the same Idempotency-Key sent to both at once makes exactly one run (202 from one door, 200 duplicate from the other, one run id)', async () => {
    const doors = [await serve(path.join(ws.dir, 'served'), ws.dir, database.storeUrl), await serve(path.join(ws.dir, 'served'), ws.dir, database.storeUrl)];
    serving.push(...doors.map((d) => d.child));
    const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    const answers = await Promise.all(
      keys.map(async (key, i) => {
        // both copies of the request leave together; which door answers first varies from key to key
        const copies = (i % 2 ? [...doors].reverse() : doors).map((d) => fetch(`${d.base}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ n: i }) }));
        return Promise.all(copies.map(async (r) => ({ status: (await r).status, body: (await (await r).json()) as { runId: string; duplicate?: boolean } })));
      }),
    );
    for (const [i, pair] of answers.entries()) {
      assert.deepEqual(pair.map((a) => a.status).sort(), [200, 202], `${keys[i]}: one door started it, the other answered the duplicate`);
      assert.equal(pair[0].body.runId, pair[1].body.runId, `${keys[i]}: one run id`);
    }
    await Promise.all(doors.map((d) => idle(d.base)));
    const db = new pg.Client({ connectionString: database.storeUrl });
    await db.connect();
    try {
      const runs = (await db.query<{ id: string; status: string }>('SELECT id, status FROM runs ORDER BY id')).rows;
      assert.equal(runs.length, keys.length, 'one run per key, not one per door');
      assert.ok(runs.every((r) => r.status === 'succeeded'), JSON.stringify(runs));
      assert.deepEqual(runs.map((r) => r.id).sort(), answers.map((pair) => pair[0].body.runId).sort());
    } finally {
      await db.end();
    }
  });
});
