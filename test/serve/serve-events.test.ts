import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { createStubAgents } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { startServer, type BatonServer } from '../../packages/cli/src/serve/server.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { STORE_KINDS, type StoreKind } from '../store/both-stores.js';
import { deleteRunRows, rowsOfRun } from './deleted-run.js';

const SECRET = 'whsec-events';
const TOKEN = 'api-token-events';
const FLOWS = `
event "payment.received" { data: { order_id: string, amount: number } }
agent L { instructions: "Book it." stub: "ok" }
flow Order {
  trigger webhook "/order"
  input order_id: string
  output amount: number
  wait event "payment.received" as payment where order_id == input.order_id
  set output.amount = payment.data.amount
}
event "refund.issued" {
  data: { order_id: string, amount: number }
  buffer: 1d max 5
}
flow Refund {
  trigger webhook "/refund"
  input order_id: string
  output amount: number
  wait event "refund.issued" as refund where order_id == input.order_id
  set output.amount = refund.data.amount
}
flow Later {
  trigger webhook "/later"
  input order_id: string
  output amount: number
  approval go { prompt: "Go?" }
  wait event "payment.received" as payment where order_id == input.order_id
  set output.amount = payment.data.amount
}
event "line.added" { data: { order_id: string, sku: string, last: boolean } }
flow Lines {
  trigger webhook "/lines"
  input order_id: string
  output lines: number
  foreach line in event "line.added" where order_id == input.order_id timeout 1d until line.data.last {
    step pick: L { prompt: "\${line.data.sku}" }
  }
  set output.lines = len(pick)
}
`;
const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

for (const kind of STORE_KINDS) {
  describe(`baton serve: typed events, correlation, persistent triggers over HTTP (${kind.name})`, function () {
    this.timeout(30_000);
    let dir: string;
    let fresh: Awaited<ReturnType<StoreKind['fresh']>>;
    let store: RunStoreApi;
    let server: BatonServer;
    const signed = (url: string, body: string) => fetch(`${server.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(body) }, body });
    const api = (url: string, body: string) => fetch(`${server.url}${url}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
    const order = async (hook: string, id: string): Promise<string> => {
      const body = JSON.stringify({ order_id: id });
      const res = await signed(hook, body);
      assert.equal(res.status, 202);
      const { runId } = (await res.json()) as { runId: string };
      await server.idle();
      return runId;
    };
    const answer = async (res: Response) => [res.status, (await res.json()) as Record<string, unknown>] as const;

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-events-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      fresh = await kind.fresh();
      await serve();
    });
    /** Opens a handle on the store and serves `dir` with it. */
    const serve = async (): Promise<void> => {
      store = await fresh.open();
      server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, webhookSecret: SECRET, apiToken: TOKEN, insecure: false, maxBodyBytes: 4096, agents: createStubAgents({}), schedules: false, timerPollMs: 0, log: () => undefined });
    };
    afterEach(async () => {
      await server.close();
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an event for a run the store no longer has (deleted behind its back): 404 RUN_NOT_FOUND naming it, nothing stored for it', async () => {
      const runId = await order('/order', 'D1');
      assert.equal((await store.getRun(runId)).status, 'waiting');
      // deleted while the server is stopped (SQLite: its handle holds the write lock), then served again
      await server.close();
      await store.close();
      await deleteRunRows(fresh.location, runId);
      await serve();
      assert.deepEqual(await rowsOfRun(fresh.location, runId), {}, 'deleted');
      const [status, body] = await answer(await api(`/runs/${runId}/events/payment.received`, JSON.stringify({ order_id: 'D1', amount: 5 })));
      assert.equal(status, 404);
      assert.deepEqual((body as { error: { code: string } }).error.code, 'RUN_NOT_FOUND');
      assert.match((body as { error: { message: string } }).error.message, new RegExp(`^no run with id "${runId}"`));
      // a broadcast of it reaches no one and keeps nothing for the deleted run either
      const [broadcast, delivered] = await answer(await signed('/events/payment.received', JSON.stringify({ order_id: 'D1', amount: 5 })));
      assert.deepEqual([broadcast, delivered.delivered], [202, []]);
      await server.idle();
      assert.deepEqual(await rowsOfRun(fresh.location, runId), {}, 'nothing stored for the deleted run');
    });

    it('POST /runs/:id/events/:name refuses a payload that does not fit (422 EVENT_DATA_INVALID, the field named) and another order\'s event (409), then delivers the right one', async () => {
      const a1 = await order('/order', 'A1');
      const [status, body] = await answer(await api(`/runs/${a1}/events/payment.received`, JSON.stringify({ order_id: 'A1', amount: '12' })));
      assert.deepEqual([status, body], [422, { error: { code: 'EVENT_DATA_INVALID', message: 'event "payment.received": data.amount: got "12" (its data is { order_id: string, amount: number })' } }]);
      const [otherStatus, other] = await answer(await api(`/runs/${a1}/events/payment.received`, JSON.stringify({ order_id: 'B2', amount: 12 })));
      assert.deepEqual([otherStatus, (other.error as { code: string }).code], [409, 'EVENT_NOT_AWAITED']);
      assert.equal((await api(`/runs/${a1}/events/payment.received`, JSON.stringify({ order_id: 'A1', amount: 12 }))).status, 202);
      await server.idle();
      const run = await store.getRun(a1);
      assert.deepEqual([run.status, run.outputs], ['succeeded', { amount: 12 }]);
    });

    it('POST /events/:name reaches only the run whose correlation it matches; a payload that does not fit is refused before anything is delivered', async () => {
      const a1 = await order('/order', 'A1');
      const b2 = await order('/order', 'B2');
      const bad = JSON.stringify({ order_id: 'B2', amount: 'five' });
      const [badStatus, badBody] = await answer(await signed('/events/payment.received', bad));
      assert.deepEqual([badStatus, (badBody.error as { code: string }).code], [422, 'EVENT_DATA_INVALID']);
      const good = JSON.stringify({ order_id: 'B2', amount: 5 });
      const [status, body] = await answer(await signed('/events/payment.received', good));
      assert.deepEqual([status, body], [202, { event: 'payment.received', started: [], delivered: [b2] }]);
      await server.idle();
      assert.deepEqual([(await store.getRun(b2)).status, (await store.getRun(b2)).outputs], ['succeeded', { amount: 5 }]);
      assert.equal((await store.getRun(a1)).status, 'waiting');
    });

    it('POST /events/:name checks the body against the declared type even when no run waits for the event (422, nothing started)', async () => {
      const [status, body] = await answer(await signed('/events/payment.received', JSON.stringify({ order_id: 7 })));
      assert.deepEqual([status, body], [422, { error: { code: 'EVENT_DATA_INVALID', message: 'event "payment.received": data.order_id: got 7 (its data is { order_id: string, amount: number })' } }]);
      assert.deepEqual(await store.listRuns({}), []);
    });

    it('a broadcast that reaches no run is kept when its type says `buffer: D` (202 kept), and a run started later takes it — only the run it correlates with', async () => {
      const [status, body] = await answer(await signed('/events/refund.issued', JSON.stringify({ order_id: 'R1', amount: 30 })));
      assert.deepEqual([status, body.delivered, body.kept, typeof body.expires], [202, [], true, 'string']);
      // an event whose type does not say `buffer:` is not kept
      const [, plain] = await answer(await signed('/events/payment.received', JSON.stringify({ order_id: 'R1', amount: 1 })));
      assert.equal(plain.kept, undefined);
      const other = await order('/refund', 'R2');
      const mine = await order('/refund', 'R1');
      assert.deepEqual([(await store.getRun(mine)).status, (await store.getRun(mine)).outputs], ['succeeded', { amount: 30 }]);
      assert.equal((await store.getRun(other)).status, 'waiting', 'R2 did not take R1\'s refund');
      const received = (await store.getEvents(mine)).find((e) => e.type === 'event.received');
      assert.ok(received?.type === 'event.received' && received.buffered && received.bufferId?.startsWith('kept:'));
    });

    it('a foreach … in event loop: each event sent over HTTP (to the run, or broadcast) starts its own instance while the loop waits; the last ends it', async () => {
      const id = await order('/lines', 'L1');
      const other = await order('/lines', 'L2');
      for (const sku of ['a', 'b']) {
        const [status, body] = await answer(await api(`/runs/${id}/events/line.added`, JSON.stringify({ order_id: 'L1', sku, last: false })));
        assert.deepEqual([status, body.buffered], [202, true]);
      }
      await server.idle();
      const [status, body] = await answer(await signed('/events/line.added', JSON.stringify({ order_id: 'L1', sku: 'c', last: true })));
      assert.deepEqual([status, body.delivered], [202, [id]], 'the broadcast reaches only the loop it correlates with');
      await server.idle();
      const run = await store.getRun(id);
      assert.deepEqual([run.status, run.outputs], ['succeeded', { lines: 3 }]);
      const admitted = (await store.getEvents(id)).flatMap((e) => (e.type === 'event.received' ? [(e.data as { sku: string }).sku] : []));
      assert.deepEqual(admitted, ['a', 'b', 'c']);
      assert.equal((await store.getRun(other)).status, 'waiting');
    });

    it('an event sent to a run before it waits is kept (202 buffered) and taken once the run gets to its wait', async () => {
      const id = await order('/later', 'C3');
      const [status, body] = await answer(await api(`/runs/${id}/events/payment.received`, JSON.stringify({ order_id: 'C3', amount: 9 })));
      assert.deepEqual([status, body.buffered, typeof body.expires], [202, true, 'string']);
      assert.equal((await api(`/runs/${id}/approve`, JSON.stringify({ task: 'go' }))).status, 202);
      await server.idle();
      const run = await store.getRun(id);
      assert.deepEqual([run.status, run.outputs], ['succeeded', { amount: 9 }]);
    });
  });
}
