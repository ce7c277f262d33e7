// A user of several tenants (`users.<name>.tenants`): one tenant per request, named by `?tenant=` (the first when none
// is named), refused (403 TENANT_FORBIDDEN, alike for a tenant that exists and one that does not) outside its own.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteRunStore, usersOf, type RunRecord, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import { serveAccess } from '../../packages/cli/src/commands/serve-access.js';
import { startServer, type BatonServer, type ServeOptions, type ServeTenant } from '../../packages/cli/src/serve/server.js';
import { ACME, GLOBEX, quiet, serveClient } from './serve-fixtures.js';
import { openSse, type SseStream } from './sse-client.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  approval sign_off { prompt: "buy \${input.item}?" }
  step thank: Greeter { prompt: "thanks" }
}
flow Waiter {
  trigger webhook "/wait"
  wait event "shipment.arrived"
  step after: Greeter { prompt: "arrived" }
}
`;

const INITECH = { id: 'initech', apiToken: 'initech-token', webhookSecret: 'initech-secret' };
const user = (name: string, tenant: string, roles: User['roles'], extra: Partial<User> = {}): User => ({ name, tenant, roles, groups: [], tokenEnv: 'X', token: `${name}-token`, ...extra });
const USERS: User[] = [
  // tess works in acme (her first) and globex, not in initech
  user('tess', 'acme', ['approver', 'operator'], { tenants: ['acme', 'globex'] }),
  user('ann', 'acme', ['approver', 'operator']),
];
const SECRET = Buffer.from('a-session-secret-of-at-least-32-characters');

describe('baton serve: a user of several tenants chooses one per request (?tenant=), through HTTP', function () {
  this.timeout(30_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;
  const streams: SseStream[] = [];

  const boot = async (extra: Partial<ServeOptions> = {}) => {
    const tenants: ServeTenant[] = [ACME, GLOBEX, INITECH];
    server = await startServer(await planFor(dir, 'UTC', quiet), { store, host: '127.0.0.1', port: 0, tenants, users: USERS, sessions: { secret: SECRET, maxAgeMs: 3600_000 }, insecure: false, maxBodyBytes: 4096, schedules: false, timerPollMs: 0, log: () => undefined, ...extra });
  };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-user-tenants-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    await boot();
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await server?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const { start, as, answer, code } = serveClient(() => server.url);
  const listed = async (token: string, query = '') => ((await answer(await as(token, `/runs${query}`))).body.runs as RunRecord[]).map((r) => r.id).sort();
  const decided = async (id: string) => (await store.getEvents(id)).filter((e) => e.type === 'approval.decided').map((e) => [(e as { by?: string }).by, (e as { decision: string }).decision]);
  const sse = async (token: string, query: string) => {
    const s = await openSse(`${server.url}/stream?${query}`, { authorization: `Bearer ${token}` });
    streams.push(s);
    return s;
  };

  it('lists, reads, starts, decides and cancels in each of its tenants (its first without ?tenant=), recorded as the user; the inbox is per tenant', async () => {
    const acme = await start(ACME, '/purchase', { item: 'desk' });
    const globex = await start(GLOBEX, '/purchase', { item: 'chair' });
    await start(INITECH, '/purchase', { item: 'stapler' });
    await server.idle();
    assert.deepEqual(await listed('tess-token'), [acme], 'no ?tenant=: her first tenant');
    assert.deepEqual(await listed('tess-token', '?tenant=acme'), [acme]);
    assert.deepEqual(await listed('tess-token', '?tenant=globex'), [globex]);
    // a run is found in its own tenant only, as another tenant's run is everywhere (404)
    assert.deepEqual(await code(await as('tess-token', `/runs/${globex}`)), [404, 'RUN_NOT_FOUND']);
    assert.equal((await as('tess-token', `/runs/${globex}?tenant=globex`)).status, 200);
    assert.equal((await as('tess-token', `/runs/${globex}/definition?tenant=globex`)).status, 200);
    // the inbox of each tenant
    const inbox = async (query: string) => ((await answer(await as('tess-token', `/approvals${query}`))).body.approvals as { runId: string }[]).map((a) => a.runId);
    assert.deepEqual([await inbox(''), await inbox('?tenant=acme'), await inbox('?tenant=globex')], [[acme], [acme], [globex]]);
    // decide in globex: recorded as tess, on globex's run only
    assert.deepEqual(await code(await as('tess-token', `/runs/${globex}/approve`, 'POST', { task: 'sign_off' })), [404, 'RUN_NOT_FOUND'], 'not without ?tenant=globex');
    const ok = await answer(await as('tess-token', `/runs/${globex}/approve?tenant=globex`, 'POST', { task: 'sign_off' }, { 'x-baton-user': 'someone-else' }));
    assert.deepEqual([ok.status, ok.body.by], [202, 'tess']);
    await server.idle();
    assert.deepEqual([await decided(globex), await decided(acme)], [[['tess', 'approved']], []]);
    // start and cancel in globex
    const started = await answer(await as('tess-token', '/runs?tenant=globex', 'POST', { flow: 'Waiter' }));
    assert.equal(started.status, 202);
    await server.idle();
    const waiter = started.body.runId as string;
    assert.equal((await store.getRun(waiter)).tenant, 'globex');
    assert.equal((await as('tess-token', `/runs/${waiter}/cancel?tenant=globex`, 'POST')).status, 202);
    await server.idle();
    assert.equal((await store.getRun(waiter)).status, 'cancelled');
    const cancelled = (await store.getEvents(waiter)).find((e) => e.type === 'cancel.requested') as { by?: string } | undefined;
    assert.equal(cancelled?.by, 'tess');
    // the tenant's other read routes answer for the tenant named
    for (const route of ['/flows', '/stats', '/locks', '/notifications']) assert.equal((await as('tess-token', `${route}?tenant=globex`)).status, 200, route);
  });

  it('a tenant that is not the caller\'s is refused alike (403 TENANT_FORBIDDEN) whether it exists or not, on every route and method; nothing is read or recorded', async () => {
    const initech = await start(INITECH, '/purchase', { item: 'stapler' });
    const acme = await start(ACME, '/purchase', { item: 'desk' });
    await server.idle();
    const routes: [string, string, unknown?][] = [
      ['GET', '/runs'], ['GET', `/runs/${initech}`], ['GET', `/runs/${initech}/events`], ['GET', `/runs/${initech}/definition`],
      ['POST', `/runs/${initech}/approve`, { task: 'sign_off' }], ['POST', `/runs/${initech}/cancel`], ['POST', '/runs', { flow: 'Waiter' }],
      ['GET', '/approvals'], ['GET', '/flows'], ['GET', '/stats'], ['GET', '/locks'], ['GET', '/notifications'], ['GET', `/stream?list`],
    ];
    const refusals = new Map<string, string>();
    for (const [who, tenant] of [['tess-token', 'initech'], ['tess-token', 'nowhere'], ['ann-token', 'globex'], ['ann-token', 'initech'], [ACME.apiToken, 'globex']]) {
      for (const [method, route, body] of routes) {
        const res = await as(who, `${route}${route.includes('?') ? '&' : '?'}tenant=${tenant}`, method, body);
        const text = await res.text();
        assert.equal(res.status, 403, `${who} ${method} ${route} in ${tenant}: ${text}`);
        const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
        assert.equal(error.code, 'TENANT_FORBIDDEN');
        assert.doesNotMatch(text, new RegExp(initech), 'nothing of the run');
        refusals.set(`${who} ${tenant}`, error.message);
      }
    }
    // the same words for a tenant that exists (initech) and one that does not (nowhere): nothing tells them apart
    assert.equal(refusals.get('tess-token initech')!.replace('initech', 'X'), refusals.get('tess-token nowhere')!.replace('nowhere', 'X'));
    assert.equal(refusals.get('tess-token initech'), 'tess does not work in tenant "initech": its tenants are acme, globex');
    assert.deepEqual(await decided(initech), []);
    assert.equal((await store.listRuns({ tenant: 'initech' })).length, 1, 'nothing started');
    assert.equal((await store.getRun(initech)).status, 'waiting', 'nothing cancelled');
    // its own tenant named explicitly is fine; tenant= twice is refused
    assert.deepEqual(await listed('ann-token', '?tenant=acme'), [acme]);
    assert.deepEqual(await code(await as('tess-token', '/runs?tenant=acme&tenant=globex')), [400, 'BAD_QUERY']);
  });

  it('a session: GET /session gives the tenants; an action in another tenant keeps the CSRF check, and its action id is used once across tenants', async () => {
    const acme = await start(ACME, '/purchase', { item: 'desk' });
    const globex = await start(GLOBEX, '/purchase', { item: 'chair' });
    await server.idle();
    const signIn = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'tess-token' }) });
    const session = (await signIn.json()) as { user: string; tenant: string; tenants: string[]; csrfToken: string };
    assert.deepEqual([session.user, session.tenant, session.tenants], ['tess', 'acme', ['acme', 'globex']]);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
    const withCookie = (route: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${route}`, { method, headers: { cookie, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    assert.deepEqual(((await answer(await withCookie('/session'))).body as { tenants: string[] }).tenants, ['acme', 'globex']);
    assert.deepEqual(((await answer(await withCookie('/runs?tenant=globex'))).body.runs as RunRecord[]).map((r) => r.id), [globex]);
    assert.deepEqual(await code(await withCookie('/runs?tenant=initech')), [403, 'TENANT_FORBIDDEN']);
    const approve = (id: string, tenant: string, headers: Record<string, string>) => withCookie(`/runs/${id}/approve?tenant=${tenant}`, 'POST', { task: 'sign_off' }, headers);
    assert.deepEqual(await code(await approve(globex, 'globex', { 'x-baton-action-id': 'a1' })), [403, 'CSRF_TOKEN_MISSING']);
    assert.equal((await approve(globex, 'globex', { 'x-csrf-token': session.csrfToken, 'x-baton-action-id': 'a1' })).status, 202);
    assert.deepEqual(await code(await approve(acme, 'acme', { 'x-csrf-token': session.csrfToken, 'x-baton-action-id': 'a1' })), [409, 'ACTION_REPLAYED']);
    await server.idle();
    assert.deepEqual([await decided(globex), await decided(acme)], [[['tess', 'approved']], []]);
  });

  it('GET /stream?tenant=globex: the rows of globex only, never of her other tenant; another tenant\'s run is not found (404)', async () => {
    const inGlobex = await sse('tess-token', 'list&tenant=globex');
    const inAcme = await sse('tess-token', 'list');
    assert.deepEqual([inGlobex.status, inAcme.status], [200, 200]);
    const acme = await start(ACME, '/purchase', { item: 'desk' });
    const row = (id: string) => (m: { event: string; data: string }) => m.event === 'run' && (JSON.parse(m.data) as { id: string }).id === id;
    await inAcme.next(row(acme));
    const globex = await start(GLOBEX, '/purchase', { item: 'chair' });
    await inGlobex.next(row(globex));
    await server.idle();
    const ids = (s: SseStream) => new Set(s.messages.filter((m) => m.event === 'run').map((m) => (JSON.parse(m.data) as { id: string }).id));
    assert.deepEqual([...ids(inGlobex)], [globex], 'globex rows only');
    assert.ok(!ids(inAcme).has(globex), 'the acme stream has no globex row');
    const other = await sse('tess-token', `run=${acme}&tenant=globex`);
    assert.deepEqual([other.status, (JSON.parse(other.body!) as { error: { code: string } }).error.code], [404, 'RUN_NOT_FOUND']);
    const refused = await sse('ann-token', 'list&tenant=globex');
    assert.deepEqual([refused.status, (JSON.parse(refused.body!) as { error: { code: string } }).error.code], [403, 'TENANT_FORBIDDEN']);
  });

  it("the per-user limit on live streams counts the user's streams in all its tenants", async () => {
    await server.close();
    await boot({ live: { maxStreamsPerUser: 2 } });
    assert.deepEqual([(await sse('tess-token', 'list')).status, (await sse('tess-token', 'list&tenant=globex')).status], [200, 200]);
    const third = await sse('tess-token', 'inbox&tenant=globex');
    assert.deepEqual([third.status, (JSON.parse(third.body!) as { error: { code: string } }).error.code], [429, 'TOO_MANY_STREAMS']);
    assert.equal((await sse('ann-token', 'list')).status, 200, "another user's are counted apart");
  });
});

describe('baton serve: users.<name>.tenants in baton.config.json (serveAccess)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-user-tenants-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const config = (value: unknown) => writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify(value));
  const tenants = [{ id: 'default', concurrency: 8 }, { id: 'acme', concurrency: 8 }, { id: 'globex', concurrency: 8 }];
  const usage = (message: RegExp) =>
    assert.throws(() => serveAccess(dir, { TESS_TOKEN: 't' }, tenants), (e: Error) => e.constructor.name === 'UsageError' && message.test(e.message), String(message));

  it('reads a user\'s tenants (the first is the one a request that names none is in)', () => {
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenants: ['globex', 'acme'], roles: ['viewer'] } } });
    assert.deepEqual(serveAccess(dir, { TESS_TOKEN: 't' }, tenants).users, [{ name: 'tess', tenant: 'globex', tenants: ['globex', 'acme'], roles: ['viewer'], groups: [], tokenEnv: 'TESS_TOKEN', token: 't' }]);
    assert.deepEqual(usersOf({ users: { ann: { tokenEnv: 'A', tenant: 'acme', roles: ['viewer'] } } }, {}).map((u) => [u.tenant, u.tenants]), [['acme', undefined]]);
  });

  it('refuses (usage error, naming the field) an unknown tenant in the list, "tenant" beside "tenants", an empty or repeated list, a malformed id', () => {
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenants: ['acme', 'initech'], roles: ['viewer'] } } });
    usage(/baton\.config\.json: users\.tess\.tenants\[1\] is "initech", which is not a tenant \(add it under tenants\)$/);
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenant: 'acme', tenants: ['acme', 'globex'], roles: ['viewer'] } } });
    usage(/users\.tess has both "tenant" and "tenants": give one/);
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenants: [], roles: ['viewer'] } } });
    usage(/users\.tess\.tenants must NOT have fewer than 1 items/);
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenants: ['acme', 'acme'], roles: ['viewer'] } } });
    usage(/users\.tess\.tenants must NOT have duplicate items/);
    config({ users: { tess: { tokenEnv: 'TESS_TOKEN', tenants: ['Acme!'], roles: ['viewer'] } } });
    usage(/users\.tess\.tenants\.0 is not a tenant id/);
  });
});
