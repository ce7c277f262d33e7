import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { createLiveRelay, installRunTelemetry, type LiveRelayLink, type RunRecord, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import type { BatonServer, ServeOptions } from '../../packages/cli/src/serve/server.js';
import { serveStoreKinds } from './serve-store-kinds.js';
import { openSse, type SseMessage, type SseStream } from './sse-client.js';
import { ACME, GLOBEX, sign, startTestServer } from './serve-fixtures.js';

/** `GET /stream` (the console's live updates) through HTTP, on both stores: their watches differ (poll vs LISTEN). */

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  step check: Greeter { prompt: "check \${input.item}" }
  approval sign_off { prompt: "buy \${input.item}?" }
  step order: Greeter { prompt: "order" }
  step pay: Greeter { prompt: "pay" }
  step ship: Greeter { prompt: "ship" }
  step thank: Greeter { prompt: "thanks" }
}
`;

const USERS: User[] = [{ name: 'ann', tenant: 'acme', roles: ['approver'], groups: [], tokenEnv: 'X', token: 'ann-token' }];
const SECRET = Buffer.from('a-session-secret-of-at-least-32-characters');

const KINDS = serveStoreKinds('baton_s');

const eventsOf = (m: SseMessage) => JSON.parse(m.data) as { runId: string; events: RunEvent[] };

for (const kind of KINDS) {
  describe(`baton serve: GET /stream, the console's live updates (${kind.name} store)`, function () {
    this.timeout(60_000);
    let dir: string;
    let store: RunStoreApi;
    let server: BatonServer;
    let clock: number;
    const streams: SseStream[] = [];

    const boot = async (extra: Partial<ServeOptions> = {}) => {
      server = await startTestServer(dir, { store, users: USERS, sessions: { secret: SECRET, maxAgeMs: 60_000 }, now: () => new Date(clock), ...extra, live: { pollMs: 20, ...extra.live } });
    };
    const open = async (route: string, token: string | null = 'acme-token', headers: Record<string, string> = {}) => {
      const stream = await openSse(`${server.url}${route}`, { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers });
      streams.push(stream);
      return stream;
    };
    const start = async (tenant: { webhookSecret: string }, item: string): Promise<string> => {
      const text = JSON.stringify({ item });
      const res = await fetch(`${server.url}/purchase`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(tenant.webhookSecret, text) }, body: text });
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { runId: string }).runId;
    };
    const approve = (runId: string, token = 'acme-token') =>
      fetch(`${server.url}/runs/${runId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ task: 'sign_off' }) });

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-stream-'));
      writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
      store = await kind.open(dir);
      clock = Date.parse('2026-12-05T10:00:00.000Z');
    });
    afterEach(async () => {
      for (const s of streams.splice(0)) s.close();
      await server?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("follows a run: its stored events at once, then the new ones as they are stored — every seq once, in order, no gap — until it ends; Last-Event-ID resumes after a seq", async () => {
      await boot();
      const runId = await start(ACME, 'desk');
      await server.idle();
      assert.equal((await store.getRun(runId)).status, 'waiting');
      const stream = await open(`/stream?run=${runId}`);
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type')!, /^text\/event-stream/);
      assert.equal(stream.headers.get('cache-control'), 'no-store');
      const received: RunEvent[] = [];
      const until = async (type: string) => {
        while (!received.some((e) => e.type === type)) {
          const message = await stream.next((m) => m.event === 'events');
          const { runId: id, events } = eventsOf(message);
          assert.equal(id, runId);
          assert.equal(message.id, String(events[events.length - 1].seq), 'the id is the last seq');
          received.push(...events);
        }
      };
      await until('run.waiting');
      assert.equal(stream.retry, 1000);
      assert.equal((await approve(runId)).status, 202);
      await until('run.succeeded');
      const stored = await store.getEvents(runId);
      assert.deepEqual(received.map((e) => e.seq), stored.map((e) => e.seq), 'each stored event once, in order');
      assert.deepEqual(received.map((e) => e.seq), stored.map((_, i) => i + 1), 'no gap');
      assert.deepEqual(received, stored);

      // a reconnect with Last-Event-ID gets what follows it only
      const resumed = await open(`/stream?run=${runId}`, 'acme-token', { 'last-event-id': '4' });
      const first = eventsOf(await resumed.next((m) => m.event === 'events'));
      assert.deepEqual(first.events.map((e) => e.seq), stored.slice(4).map((e) => e.seq));
      const after = await open(`/stream?run=${runId}&after=${stored.length - 1}`);
      assert.deepEqual(eventsOf(await after.next((m) => m.event === 'events')).events.map((e) => e.seq), [stored.length]);
    });

    it("the runs executed by the server reach a stream through the executor's relay (the store's watch not looking)", async () => {
      const link: LiveRelayLink = { channel: `baton.live.${randomUUID()}`, flag: new Int32Array(new SharedArrayBuffer(4)) };
      // what `baton serve` installs on its executor thread, here on this one (the server's supervisor runs here)
      const relay = createLiveRelay(link);
      installRunTelemetry(relay);
      try {
        await boot({ liveRelay: link, live: { pollMs: 3_600_000 } });
        const runId = await start(ACME, 'desk');
        await server.idle();
        const stream = await open(`/stream?run=${runId}`);
        const received: RunEvent[] = [];
        while (!received.some((e) => e.type === 'run.waiting')) received.push(...eventsOf(await stream.next((m) => m.event === 'events')).events);
        assert.equal((await approve(runId)).status, 202);
        while (!received.some((e) => e.type === 'run.succeeded')) received.push(...eventsOf(await stream.next((m) => m.event === 'events')).events);
        assert.deepEqual(received, await store.getEvents(runId));
      } finally {
        installRunTelemetry(undefined);
        relay.close();
      }
    });

    it("the list and the inbox: a tenant's streams get its runs' rows and inbox changes, never another tenant's", async () => {
      await boot();
      const acmeList = await open('/stream?list&inbox');
      const globexList = await open('/stream?list&inbox', 'globex-token');
      // a globex run, seen by globex's stream first
      const other = await start(GLOBEX, 'chair');
      const otherRow = await globexList.next((m) => m.event === 'run' && (JSON.parse(m.data) as RunRecord).id === other);
      assert.equal((JSON.parse(otherRow.data) as RunRecord).tenant, 'globex');
      await globexList.next((m) => m.event === 'inbox');
      // then an acme run, up to its approval
      const own = await start(ACME, 'desk');
      const waiting = await acmeList.next((m) => m.event === 'run' && (JSON.parse(m.data) as RunRecord).id === own && (JSON.parse(m.data) as RunRecord).status === 'waiting');
      assert.deepEqual((JSON.parse(waiting.data) as RunRecord).waitingOn.map((w) => w.kind), ['approval']);
      await acmeList.next((m) => m.event === 'inbox');
      // decided: the row moves on and the inbox changes again
      assert.equal((await approve(own)).status, 202);
      await acmeList.next((m) => m.event === 'run' && (JSON.parse(m.data) as RunRecord).id === own && (JSON.parse(m.data) as RunRecord).status === 'succeeded');
      await acmeList.next((m) => m.event === 'inbox');
      await server.idle();
      const acmeIds = new Set(acmeList.messages.filter((m) => m.event === 'run').map((m) => (JSON.parse(m.data) as RunRecord).id));
      assert.deepEqual([...acmeIds], [own], "acme's stream never carried globex's run");
      assert.ok(acmeList.messages.every((m) => !m.data.includes(other)));
      // another tenant's run cannot be followed: it is a missing one
      const refused = await open(`/stream?run=${own}`, 'globex-token');
      assert.equal(refused.status, 404);
      assert.equal((JSON.parse(refused.body!) as { error: { code: string } }).error.code, 'RUN_NOT_FOUND');
    });

    it('limits: beyond the streams per user, or per server, 429 TOO_MANY_STREAMS; a stream closed frees its place', async () => {
      await boot({ live: { maxStreamsPerUser: 2, maxStreams: 3 } });
      const a = await open('/stream?list');
      await open('/stream?inbox');
      const third = await open('/stream?list');
      assert.equal(third.status, 429);
      assert.equal((JSON.parse(third.body!) as { error: { code: string; message: string } }).error.code, 'TOO_MANY_STREAMS');
      assert.match((JSON.parse(third.body!) as { error: { message: string } }).error.message, /api-token:acme has 2 live streams open/);
      // another user of the server still gets one, up to the server's limit
      assert.equal((await open('/stream?list', 'globex-token')).status, 200);
      const full = await open('/stream?list', 'ann-token');
      assert.equal(full.status, 429);
      assert.match(full.body!, /this server has 3 live streams open/);
      a.close();
      let again: SseStream;
      // the server sees the close when the connection ends: wait until it has
      do again = await open('/stream?list', 'ann-token');
      while (again.status === 429);
      assert.equal(again.status, 200);
    });

    it('bad requests get a clear 4xx: nothing to follow, a bad Last-Event-ID or after, an unknown run, no token, not GET', async () => {
      await boot();
      const cases: [string, Record<string, string>, string | null, number, string][] = [
        ['/stream', {}, 'acme-token', 400, 'STREAM_INVALID'],
        ['/stream?run=', {}, 'acme-token', 400, 'STREAM_INVALID'],
        ['/stream?list', { 'last-event-id': 'abc' }, 'acme-token', 400, 'BAD_LAST_EVENT_ID'],
        ['/stream?list', { 'last-event-id': '-1' }, 'acme-token', 400, 'BAD_LAST_EVENT_ID'],
        ['/stream?list&after=1e3', {}, 'acme-token', 400, 'BAD_QUERY'],
        ['/stream?run=01JNOSUCHRUN0000000000000', {}, 'acme-token', 404, 'RUN_NOT_FOUND'],
        ['/stream?list', {}, null, 401, 'UNAUTHORIZED'],
      ];
      for (const [route, headers, token, status, code] of cases) {
        const res = await open(route, token, headers);
        assert.equal(res.status, status, route);
        assert.equal((JSON.parse(res.body!) as { error: { code: string } }).error.code, code, route);
      }
      const post = await fetch(`${server.url}/stream?list`, { method: 'POST', headers: { authorization: 'Bearer acme-token' } });
      assert.equal(post.status, 405);
    });

    it("a session's stream ends with signed-out at the first heartbeat after it expires", async () => {
      await boot({ live: { heartbeatMs: 30 } });
      const signIn = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'ann-token' }) });
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
      const stream = await open('/stream?list', null, { cookie });
      assert.equal(stream.status, 200);
      clock += 61_000;
      await stream.next((m) => m.event === 'signed-out');
      await stream.ended;
      // and the cookie opens no new one
      assert.equal((await open('/stream?list', null, { cookie })).status, 401);
    });
  });
}
