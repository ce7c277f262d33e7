/**
 * The notification outbox's store methods (sqlite-outbox.ts, pg-outbox.ts) on both stores, with identical results:
 * expansion into one delivery per channel (twice is once), claims exclusive under three dispatchers on their own
 * connections, an expired claim taken over, marks only by the claim's holder, listing per tenant with keyset pages,
 * retry, counts, pruning — and an event whose transaction rolled back leaves no notification. Registered by
 * sqlite-outbox.test.ts and pg-outbox.test.ts.
 */
import assert from 'node:assert/strict';
import type { RunStoreApi } from '../../packages/runtime/src/index.js';
import { outboxOf, type NotificationOutbox } from '../../packages/runtime/src/index.js';
import { storeFixture } from '../store/conformance-fixture.js';
import { DEFINITION, rejectsWith } from '../store/conformance-support.js';

/** A fresh, empty store; `handle()` opens another connection to it (another front door's view). */
export interface OutboxStoreFactory {
  fresh(): Promise<{ handle(): Promise<RunStoreApi> }>;
  cleanup?(): Promise<void>;
}

const T0 = new Date('2026-12-05T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** Registers the outbox cases for the stores `factory` makes. */
export function outboxConformance(name: string, factory: OutboxStoreFactory): void {
  describe(`notification outbox: ${name}`, function () {
    this.timeout(30_000);
    const fixture = storeFixture(factory);
    const open = async (): Promise<RunStoreApi & NotificationOutbox> => {
      const handle = await fixture.open();
      const outbox = outboxOf(handle);
      assert.ok(outbox, `${name} implements every outbox method`);
      return handle as RunStoreApi & NotificationOutbox;
    };

    /** A waiting run of `tenant` with `n` approvals requested (notifications on). */
    const approvals = async (s: RunStoreApi, n: number, tenant = 'acme', flow = 'Purchase'): Promise<string> => {
      const { id } = await s.createRun({ flow, inputs: { secret: 'not in a notification' }, definition: DEFINITION, startedAt: T0.toISOString(), tenant });
      for (let i = 0; i < n; i++) s.append(id, { type: 'approval.requested', task: `sign${i}`, node: 'n1', assignee: 'finance', deadline: '2026-12-06T10:00:00.000Z', options: [] });
      await s.flush();
      return id;
    };

    it('new notifications carry their event; expanding makes one pending delivery per channel, due now, and twice is once', async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      const id = await approvals(s, 1);
      const failed = s.append(id, { type: 'run.failed', error: { code: 'AGENT_FAILED', message: 'the agent broke' }, outputs: {} });
      await s.flush();
      const asked = failed.seq - 1;
      const fresh = await s.newNotifications(10);
      assert.deepEqual(
        fresh.map((n) => ({ id: n.id, kind: n.kind, flow: n.flow, tenant: n.tenant })),
        [
          { id: `${id}:${asked}`, kind: 'approval.waiting', flow: 'Purchase', tenant: 'acme' },
          { id: `${id}:${failed.seq}`, kind: 'run.failed', flow: 'Purchase', tenant: 'acme' },
        ],
      );
      assert.equal(fresh[0].event?.assignee, 'finance');
      assert.equal(fresh[0].event?.task, 'sign0');
      assert.deepEqual(fresh[1].event?.error, { code: 'AGENT_FAILED', message: 'the agent broke' });
      await s.expandNotification(fresh[0].id, ['hook', 'mail'], T0);
      await (await open()).expandNotification(fresh[0].id, ['hook', 'mail'], T0);
      await s.expandNotification(fresh[1].id, [], T0);
      assert.deepEqual(await s.newNotifications(10), [], 'both expanded (one with no channel)');
      const { deliveries } = await s.listDeliveries({}, { tenant: 'acme' });
      assert.deepEqual(
        deliveries.map((d) => ({ id: d.id, channel: d.channel, status: d.status, attempts: d.attempts, nextAt: d.nextAt, runId: d.runId, kind: d.kind })),
        [
          { id: `${id}:${asked}:mail`, channel: 'mail', status: 'pending', attempts: 0, nextAt: T0.toISOString(), runId: id, kind: 'approval.waiting' },
          { id: `${id}:${asked}:hook`, channel: 'hook', status: 'pending', attempts: 0, nextAt: T0.toISOString(), runId: id, kind: 'approval.waiting' },
        ],
      );
    });

    it('three dispatchers on their own connections claim every due delivery exactly once; an expired claim is taken over', async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      await approvals(s, 30);
      for (const n of await s.newNotifications(100)) await s.expandNotification(n.id, ['hook'], T0);
      const dispatchers = [s, await open(), await open()];
      const claims = await Promise.all(
        dispatchers.map(async (d, i) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await d.claimDeliveries(`d${i}`, at(1000), 4, 60_000);
            if (batch.length === 0) return mine;
            for (const delivery of batch) assert.ok(delivery.notification?.event, 'a claimed delivery carries its notification');
            mine.push(...batch.map((b) => b.id));
          }
        }),
      );
      const all = claims.flat();
      assert.equal(all.length, 30, `claimed: ${claims.map((c) => c.length).join(' + ')}`);
      assert.equal(new Set(all).size, 30, 'no delivery claimed twice');
      assert.deepEqual(await s.claimDeliveries('late', at(59_000), 10, 60_000), [], 'held until the claim expires');
      const taken = await dispatchers[1].claimDeliveries('d1-again', at(62_000), 100, 60_000);
      assert.equal(taken.length, 30, 'after the claim expired another dispatcher takes them');
      assert.equal(await s.markDelivery(claims[0][0], 'd0', { status: 'sent' }, at(62_500)), false, 'the first holder lost its claim: nothing written');
    });

    it('marks: sent; pending again at nextAt with the error (not claimable before); dead; each only by the holder', async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      await approvals(s, 3);
      for (const n of await s.newNotifications(10)) await s.expandNotification(n.id, ['hook'], T0);
      const [a, b, c] = await s.claimDeliveries('me', T0, 10, 60_000);
      assert.equal(await s.markDelivery(a.id, 'someone else', { status: 'sent' }, T0), false);
      assert.equal(await s.markDelivery(a.id, 'me', { status: 'sent' }, at(10)), true);
      assert.equal(await s.markDelivery(b.id, 'me', { status: 'pending', nextAt: at(30_000).toISOString(), error: 'HTTP 503: busy' }, at(10)), true);
      assert.equal(await s.markDelivery(c.id, 'me', { status: 'dead', error: 'HTTP 400: bad' }, at(10)), true);
      assert.equal(await s.markDelivery(c.id, 'me', { status: 'sent' }, at(20)), false, 'a dead delivery is not marked again');
      assert.deepEqual(await s.claimDeliveries('me', at(29_999), 10, 60_000), [], 'not due before nextAt');
      const again = await s.claimDeliveries('me', at(30_000), 10, 60_000);
      assert.deepEqual(again.map((d) => [d.id, d.attempts, d.lastError]), [[b.id, 1, 'HTTP 503: busy']]);
      const byId = new Map((await s.listDeliveries({})).deliveries.map((d) => [d.id, d]));
      assert.equal(byId.get(a.id)!.status, 'sent');
      assert.equal(byId.get(a.id)!.sentAt, at(10).toISOString());
      assert.equal(byId.get(a.id)!.attempts, 1);
      assert.deepEqual([byId.get(c.id)!.status, byId.get(c.id)!.attempts, byId.get(c.id)!.lastError], ['dead', 1, 'HTTP 400: bad']);
      assert.deepEqual(await s.countDeliveries(), { pending: 1, sent: 1, dead: 1 });
      assert.deepEqual(await s.countDeliveries({ tenant: 'other' }), { pending: 0, sent: 0, dead: 0 });
    });

    it("retry makes a dead delivery of the caller's tenant pending and due now; another tenant's is not found; a sent one is refused", async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      await approvals(s, 2);
      for (const n of await s.newNotifications(10)) await s.expandNotification(n.id, ['hook'], T0);
      const [dead, sent] = await s.claimDeliveries('me', T0, 10, 60_000);
      await s.markDelivery(dead.id, 'me', { status: 'dead', error: 'HTTP 404' }, T0);
      await s.markDelivery(sent.id, 'me', { status: 'sent' }, T0);
      await rejectsWith(s.retryDelivery(dead.id, at(5000), { tenant: 'other' }), 'NOTIFICATION_NOT_FOUND');
      await rejectsWith(s.retryDelivery(sent.id, at(5000), { tenant: 'acme' }), 'NOTIFICATION_SENT');
      const retried = await s.retryDelivery(dead.id, at(5000), { tenant: 'acme' });
      assert.deepEqual([retried.status, retried.attempts, retried.nextAt], ['pending', 0, at(5000).toISOString()]);
      assert.deepEqual((await s.claimDeliveries('me', at(5000), 10, 60_000)).map((d) => d.id), [dead.id]);
    });

    it("lists a tenant's deliveries newest first in keyset pages, by status", async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      await approvals(s, 5, 'acme');
      await approvals(s, 2, 'globex');
      for (const n of await s.newNotifications(10)) await s.expandNotification(n.id, ['hook'], T0);
      const first = await s.listDeliveries({ limit: 3 }, { tenant: 'acme' });
      assert.equal(first.deliveries.length, 3);
      assert.equal(first.next, first.deliveries[2].id);
      const second = await s.listDeliveries({ limit: 3, before: first.next }, { tenant: 'acme' });
      assert.equal(second.deliveries.length, 2);
      assert.equal(second.next, undefined, 'the last page has no next');
      const ids = [...first.deliveries, ...second.deliveries].map((d) => d.id);
      assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
      assert.ok([...first.deliveries, ...second.deliveries].every((d) => d.tenant === 'acme'));
      assert.equal((await s.listDeliveries({}, { tenant: 'globex' })).deliveries.length, 2);
      assert.equal((await s.listDeliveries({ status: 'dead' }, { tenant: 'acme' })).deliveries.length, 0);
    });

    it('an event whose transaction rolled back (a flush refused: its lease was taken over) leaves no notification', async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      const { id } = await s.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: T0.toISOString(), tenant: 'acme' });
      const lease = await s.claimLease(id, 'first', 60_000);
      assert.ok(lease);
      const other = await open();
      assert.ok(await other.claimLease(id, 'second', 60_000, 'first'), 'taken over');
      s.append(id, { type: 'approval.requested', task: 'sign', node: 'n1', options: [] });
      await rejectsWith(s.flush(id), 'LEASE_LOST');
      assert.deepEqual(await other.newNotifications(10), []);
      await other.getEvents(id);
      other.append(id, { type: 'run.failed', error: { code: 'E', message: 'm' }, outputs: {} });
      await other.flush(id);
      assert.deepEqual((await other.newNotifications(10)).map((n) => n.kind), ['run.failed'], 'the holder’s event is notified');
    });

    it('prunes sent deliveries older than the sent bound and dead ones older than the dead bound', async () => {
      const s = await open();
      await s.setNotificationsEnabled(true);
      await approvals(s, 3);
      for (const n of await s.newNotifications(10)) await s.expandNotification(n.id, ['hook'], T0);
      const [a, b, c] = await s.claimDeliveries('me', T0, 10, 60_000);
      await s.markDelivery(a.id, 'me', { status: 'sent' }, T0);
      await s.markDelivery(b.id, 'me', { status: 'dead', error: 'x' }, T0);
      await s.markDelivery(c.id, 'me', { status: 'sent' }, at(86_400_000));
      assert.equal(await s.pruneDeliveries(at(1000), at(-1000)), 1, 'only the old sent one');
      assert.deepEqual((await s.listDeliveries({})).deliveries.map((d) => d.id).sort(), [b.id, c.id].sort());
      await s.setNotificationsEnabled(false);
      await approvals(s, 1);
      assert.deepEqual(await s.newNotifications(10), [], 'the flag off: no notification');
    });
  });
}
