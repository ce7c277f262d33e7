import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { outboxOf, SqliteRunStore, type NotificationOutbox, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { CLAIM_LEASE_MS } from '../../packages/runtime/src/notify/dispatcher.js';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { DEFINITION } from '../store/conformance-support.js';
import { verifySignature } from './notify-support.js';
import { seededRandom as seeded } from '../support/seeded-random.js';

// The outbox under kill -9 (docs/console.md, "Delivery"): a dispatcher process (fixtures/dispatch-child.ts) is killed
// while a webhook is in flight (the receiver kills it when the request arrives, before answering), right after the
// receiver answered (before the dispatcher can record it sent), or at a random moment; the next one starts a claim
// lease later on its clock. In the end every notification was delivered, none is lost or dead, and a delivery posted
// twice carries the same webhook-id each time, its posts from different dispatchers, every one but the last killed.

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dispatch-child.ts');
const SECRET = 'crash-secret';

/** How a generation dies: at its k-th request's arrival (mid-send), after its k-th answer (before the mark), after ms. */
type Kill = { at: 'arrival' | 'answered'; k: number } | { at: 'timer'; ms: number };

interface Post {
  id: string;
  notification: string;
  generation: number;
}

interface CrashStore {
  /** The child's argv[2]. */
  spec: string;
  store: RunStoreApi & NotificationOutbox;
  cleanup(): Promise<void>;
}

function crashCase(name: string, make: () => Promise<CrashStore>): void {
  it(`${name}: a dispatcher killed -9 mid-send, after the answer and at random moments loses nothing; duplicates share their webhook-id`, async function () {
    this.timeout(90_000);
    const seed = Number(process.env.BATON_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seeded(seed);
    const { spec, store, cleanup } = await make();
    let child: ChildProcess | undefined;
    const server = http.createServer();
    try {
      // 5 runs × 8 approvals waiting + a failure each: 45 notifications, one delivery each
      await store.setNotificationsEnabled(true);
      const expected: string[] = [];
      for (let r = 0; r < 5; r++) {
        const { id } = await store.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: new Date().toISOString(), tenant: 'default' });
        for (let i = 0; i < 8; i++) expected.push(`${id}:${store.append(id, { type: 'approval.requested', task: `sign${i}`, node: 'n1', assignee: 'finance', options: [] }).seq}`);
        expected.push(`${id}:${store.append(id, { type: 'run.failed', error: { code: 'AGENT_FAILED', message: 'broke' }, outputs: {} }).seq}`);
        await store.flush();
      }

      // the kills: mid-send, after an answer, at a random moment (on a fast machine the rest may all be sent before
      // it), then a generation left to finish
      const kills: Kill[] = [{ at: 'arrival', k: 1 + Math.floor(random() * 8) }, { at: 'answered', k: 1 + Math.floor(random() * 8) }, { at: 'timer', ms: Math.floor(random() * 150) }];
      let generation = -1;
      let seen = 0;
      const posts: Post[] = [];
      const killed: number[] = [];
      const kill = (g: number): void => {
        if (g !== generation || killed.includes(g)) return;
        killed.push(g);
        child?.kill('SIGKILL');
      };
      server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const id = String(req.headers['webhook-id']);
          assert.ok(verifySignature(Buffer.from(SECRET), id, String(req.headers['webhook-timestamp']), body, req.headers['webhook-signature'] as string | undefined), `signed: ${id}`);
          const g = generation;
          posts.push({ id, notification: (JSON.parse(body) as { id: string }).id, generation: g });
          const plan = kills[g];
          seen++;
          if (plan?.at === 'arrival' && seen === plan.k) {
            // mid-send: the dispatcher dies with the request sent and no answer
            kill(g);
            res.socket?.destroy();
            return;
          }
          res.on('finish', () => {
            if (plan?.at === 'answered' && seen >= plan.k) kill(g);
          });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

      const allSent = async (): Promise<boolean> => (await store.countDeliveries()).sent === expected.length;
      for (generation = 0; generation <= kills.length; generation++) {
        seen = 0;
        const g = generation;
        const offset = g * (CLAIM_LEASE_MS + 1000);
        child = spawn(process.execPath, ['--import', 'tsx', CHILD, spec, url, SECRET, String(offset)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const exited = new Promise<string | null>((resolve) => child!.on('exit', (_code, signal) => resolve(signal)));
        await new Promise<void>((resolve, reject) => {
          child!.stdout!.on('data', (c: Buffer) => (c.toString().includes('ready') ? resolve() : undefined));
          void exited.then(() => reject(new Error(`dispatcher ${g} exited before it was ready: ${stderr}`)));
        });
        const plan = kills[g];
        if (plan?.at === 'timer') setTimeout(() => kill(g), plan.ms);
        // the generation dies as planned, or everything is sent first (then it is stopped, and no more are needed)
        let done = false;
        for (;;) {
          const signal = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 50))]);
          if (signal !== undefined) {
            assert.equal(signal, 'SIGKILL', `dispatcher ${g} died on its own: ${stderr}`);
            break;
          }
          if (await allSent()) {
            done = true;
            child.kill('SIGKILL');
            await exited;
            break;
          }
        }
        if (done) break;
      }
      child = undefined;
      const why = `seed ${seed} (BATON_SEED=${seed} repeats it); killed generations ${killed.join(', ')}; posts ${JSON.stringify(posts)}`;

      // nothing lost, nothing dead: every delivery recorded sent, every notification posted
      assert.deepEqual(await store.countDeliveries(), { pending: 0, sent: expected.length, dead: 0 }, why);
      assert.deepEqual([...new Set(posts.map((p) => p.notification))].sort(), [...expected].sort(), why);
      assert.deepEqual(killed.slice(0, 2), [0, 1], `killed mid-send and after an answer: ${why}`);
      // a notification's posts all carry one webhook-id (its delivery's): a receiver deduplicates on it
      const ids = new Map<string, Set<string>>();
      for (const p of posts) ids.set(p.notification, (ids.get(p.notification) ?? new Set()).add(p.id));
      for (const [notification, set] of ids) assert.equal(set.size, 1, `${notification} posted under ${[...set].join(', ')}: ${why}`);
      // duplicates only across a kill: no dispatcher posted one delivery twice, and every one that posted it before
      // the last one was killed (between its send and its mark)
      const byId = new Map<string, number[]>();
      for (const p of posts) byId.set(p.id, [...(byId.get(p.id) ?? []), p.generation]);
      for (const [id, generations] of byId) {
        assert.equal(new Set(generations).size, generations.length, `${id} posted twice by one dispatcher: ${why}`);
        for (const g of generations.slice(0, -1)) assert.ok(killed.includes(g), `${id} posted again after dispatcher ${g}, which was not killed: ${why}`);
      }
    } finally {
      child?.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await cleanup();
    }
  });
}

describe('the notification outbox under kill -9', function () {
  crashCase('SQLite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-outbox-crash-'));
    const file = path.join(dir, 'runs.db');
    const store = (await SqliteRunStore.open(file, { holdLock: false })) as RunStoreApi;
    assert.ok(outboxOf(store));
    return { spec: JSON.stringify({ sqlite: file }), store: store as RunStoreApi & NotificationOutbox, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });

  crashCase('PostgreSQL', async () => {
    const url = process.env.BATON_TEST_PG_URL;
    if (!url) throw new Error('BATON_TEST_PG_URL is not set: run the tests through scripts/services.mjs, which starts PostgreSQL and sets it');
    const schema = `baton_crash_${randomBytes(6).toString('hex')}`;
    const store = await PgRunStore.open(url, { schema });
    assert.ok(outboxOf(store));
    return {
      spec: JSON.stringify({ pg: url, schema }),
      store: store as RunStoreApi & NotificationOutbox,
      cleanup: async () => {
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  });
});
