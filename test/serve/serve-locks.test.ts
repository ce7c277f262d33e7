import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentCaller, LockInfo, RunStoreApi } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { STORE_KINDS, type StoreKind } from '../store/both-stores.js';

const SECRET = 'whsec-locks';
const TOKEN = 'api-token-locks';
const FLOWS = `
agent Desk { stub: "done" }
flow Book {
  trigger webhook "/book"
  input who: string
  lock "desk" {
    step work: Desk { prompt: "book \${input.who}" }
  }
}
`;
const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

for (const kind of STORE_KINDS) {
  describe(`baton serve: GET /locks (${kind.name})`, function () {
    this.timeout(30_000);
    let dir: string;
    let fresh: Awaited<ReturnType<StoreKind['fresh']>>;
    let store: RunStoreApi;
    let server: BatonServer;
    let open!: () => void;
    let gate: Promise<void>;
    const agents: AgentCaller = {
      async call() {
        await gate;
        return { output: 'done', tokens: 0 };
      },
    };
    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-locks-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      fresh = await kind.fresh();
      store = await fresh.open();
      gate = new Promise<void>((resolve) => (open = resolve));
      server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, webhookSecret: SECRET, apiToken: TOKEN, insecure: false, maxBodyBytes: 1024, agents, schedules: false, timerPollMs: 0, log: () => undefined });
    });
    afterEach(async () => {
      open();
      await server.close();
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const book = async (who: string): Promise<string> => {
      const body = JSON.stringify({ who });
      const res = await fetch(`${server.url}/book`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
      assert.equal(res.status, 202);
      return ((await res.json()) as { runId: string }).runId;
    };
    const locks = async (): Promise<LockInfo[]> => {
      const res = await fetch(`${server.url}/locks`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { locks: LockInfo[] }).locks;
    };

    it('lists the lock with its holder and its queue; needs the API token; empty once the runs gave it up', async () => {
      const first = await book('ann');
      const second = await book('bob');
      const deadline = Date.now() + 20_000;
      let listed = await locks();
      while (!(listed.length === 1 && listed[0].queue.length === 1) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        listed = await locks();
      }
      assert.deepEqual(listed.map((l) => [l.tenant, l.name, l.holder.runId, l.queue.map((q) => q.runId)]), [['default', 'desk', first, [second]]]);
      assert.equal((await fetch(`${server.url}/locks`)).status, 401);
      assert.equal((await fetch(`${server.url}/locks`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
      open();
      await server.idle();
      assert.deepEqual(await locks(), []);
      assert.deepEqual([(await store.getRun(first)).status, (await store.getRun(second)).status], ['succeeded', 'succeeded']);
    });
  });
}
