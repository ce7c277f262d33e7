import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { SqliteRunStore, type RunRecord, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import { serveAccess } from '../../packages/cli/src/commands/serve-access.js';
import type { BatonServer, ServeOptions } from '../../packages/cli/src/serve/server.js';
import { ACME, GLOBEX, serveClient, startTestServer } from './serve-fixtures.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  approval sign_off { prompt: "buy \${input.item}?", assignee: "finance" }
  step thank: Greeter { prompt: "thanks" }
}
flow Urgent {
  trigger webhook "/urgent"
  approval go_ahead { prompt: "go?", timeout: 1h }
}
flow Waiter {
  trigger webhook "/wait"
  wait event "shipment.arrived"
  step after: Greeter { prompt: "arrived" }
}
`;

const user = (name: string, tenant: string, roles: User['roles'], extra: Partial<User> = {}): User => ({ name, tenant, roles, groups: [], tokenEnv: 'X', token: `${name}-token`, ...extra });
const USERS: User[] = [
  user('ann', 'acme', ['approver'], { groups: ['finance'] }),
  user('abe', 'acme', ['approver'], { groups: ['finance'], flows: ['Waiter'] }),
  user('bea', 'acme', ['approver']),
  user('vic', 'acme', ['viewer']),
  user('oscar', 'acme', ['operator']),
  user('gus', 'globex', ['approver'], { groups: ['finance'] }),
];
const MINUTE = 60_000;
const SECRET = Buffer.from('a-session-secret-of-at-least-32-characters');

describe('baton serve: users, roles, sessions, CSRF and replays, through HTTP', function () {
  this.timeout(30_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;
  let clock: number;

  const boot = async (extra: Partial<ServeOptions> = {}) => {
    server = await startTestServer(dir, { store, users: USERS, sessions: { secret: SECRET, maxAgeMs: 30 * MINUTE }, now: () => new Date(clock), ...extra });
  };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-users-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    clock = Date.parse('2026-12-04T10:00:00.000Z');
  });
  afterEach(async () => {
    await server?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const { start, as, answer, code } = serveClient(() => server.url);
  const eventsOf = async (id: string): Promise<RunEvent[]> => store.getEvents(id);
  const decided = async (id: string) => (await eventsOf(id)).filter((e) => e.type === 'approval.decided').map((e) => [(e as { by?: string }).by, (e as { decision: string }).decision]);

  it("an approver of tenant A cannot see or decide tenant B's runs (404 as for a missing run); the approver it is assigned to decides, recorded as the authenticated user even when X-Baton-User says otherwise", async () => {
    await boot();
    const acme = await start(ACME, '/purchase', { item: 'desk' });
    const globex = await start(GLOBEX, '/purchase', { item: 'chair' });
    await server.idle();
    // gus approves for globex: acme's run does not exist for him
    assert.deepEqual(await code(await as('gus-token', `/runs/${acme}`)), [404, 'RUN_NOT_FOUND']);
    assert.deepEqual(await code(await as('gus-token', `/runs/${acme}/approve`, 'POST', { task: 'sign_off' })), [404, 'RUN_NOT_FOUND']);
    const listed = await answer(await as('gus-token', '/runs'));
    assert.deepEqual((listed.body.runs as RunRecord[]).map((r) => r.id), [globex]);
    assert.deepEqual(await decided(acme), [], 'nothing recorded on A');
    // approvers of A the approval is not theirs: bea is not in finance, abe decides Waiter only
    const bea = await answer(await as('bea-token', `/runs/${acme}/approve`, 'POST', { task: 'sign_off' }));
    assert.deepEqual([bea.status, bea.body.error?.code, bea.body.error?.message], [403, 'NOT_ASSIGNEE', 'approval sign_off is assigned to finance, not to bea']);
    assert.deepEqual(await code(await as('abe-token', `/runs/${acme}/approve`, 'POST', { task: 'sign_off' })), [403, 'NOT_ASSIGNEE']);
    // ann is in finance: her decision is hers, whatever header she sends
    const ok = await answer(await as('ann-token', `/runs/${acme}/approve`, 'POST', { task: 'sign_off', comment: 'fine' }, { 'x-baton-user': 'the-ceo' }));
    assert.deepEqual([ok.status, ok.body.by], [202, 'ann']);
    await server.idle();
    assert.deepEqual(await decided(acme), [['ann', 'approved']]);
    assert.equal((await store.getRun(acme)).status, 'succeeded');
    assert.deepEqual(await decided(globex), []);
  });

  it('a viewer reads but cannot act (403 FORBIDDEN, nothing recorded); an operator starts, sends and cancels (recorded as the operator) but cannot decide', async () => {
    await boot();
    const purchase = await start(ACME, '/purchase', { item: 'desk' });
    const waiter = await start(ACME, '/wait');
    await server.idle();
    const before = [(await eventsOf(purchase)).length, (await eventsOf(waiter)).length];
    assert.equal((await as('vic-token', `/runs/${purchase}`)).status, 200);
    assert.equal((await as('vic-token', '/locks')).status, 200);
    for (const [route, body] of [[`/runs/${purchase}/approve`, { task: 'sign_off' }], [`/runs/${purchase}/reject`, { task: 'sign_off' }], [`/runs/${waiter}/events/shipment.arrived`, {}], [`/runs/${waiter}/cancel`, undefined], [`/runs/${waiter}/redrive`, undefined], [`/runs/${waiter}/migrate`, { file: 'flows.flow' }], ['/runs', { flow: 'Waiter' }]] as const) {
      const refused = await answer(await as('vic-token', route, 'POST', body));
      assert.deepEqual([refused.status, refused.body.error?.code], [403, 'FORBIDDEN'], route);
      assert.match(refused.body.error!.message, /^vic \(viewer\) may not .+: that takes /);
    }
    assert.deepEqual([(await eventsOf(purchase)).length, (await eventsOf(waiter)).length], before, 'nothing recorded');
    assert.equal((await store.listRuns({ tenant: 'acme' })).length, 2, 'nothing started');

    const started = await answer(await as('oscar-token', '/runs', 'POST', { flow: 'Waiter' }));
    assert.deepEqual([started.status, started.body.flow], [202, 'Waiter']);
    await server.idle();
    assert.equal((await store.getRun(started.body.runId as string)).tenant, 'acme');
    assert.deepEqual(await code(await as('oscar-token', '/runs', 'POST', { flow: 'Nope' })), [422, 'UNKNOWN_FLOW']);
    assert.deepEqual(await code(await as('oscar-token', `/runs/${purchase}/approve`, 'POST', { task: 'sign_off' })), [403, 'FORBIDDEN']);
    assert.equal((await as('oscar-token', `/runs/${waiter}/events/shipment.arrived`, 'POST', {})).status, 202);
    const cancelled = await answer(await as('oscar-token', `/runs/${started.body.runId as string}/cancel`, 'POST', undefined, { 'x-baton-user': 'someone-else' }));
    assert.deepEqual([cancelled.status, cancelled.body.status], [202, 'cancelled']);
    const cancel = (await eventsOf(started.body.runId as string)).find((e) => e.type === 'cancel.requested') as { by?: string } | undefined;
    assert.equal(cancel?.by, 'oscar');
    await server.idle();
    assert.equal((await store.getRun(waiter)).status, 'succeeded');
  });

  it('a session: sign in with a token → an HttpOnly SameSite=Strict cookie and a CSRF token; an action with the cookie needs the CSRF token and a fresh action id; a replayed action is refused (409), so is a bearer request whose action id was used', async () => {
    await boot();
    const first = await start(ACME, '/purchase', { item: 'desk' });
    const second = await start(ACME, '/purchase', { item: 'lamp' });
    await server.idle();
    assert.deepEqual(await code(await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'wrong' }) })), [401, 'UNAUTHORIZED']);
    const signIn = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'ann-token' }) });
    const setCookie = signIn.headers.get('set-cookie')!;
    const session = (await signIn.json()) as { user: string; tenant: string; roles: string[]; csrfToken: string; expires: string };
    assert.deepEqual([signIn.status, session.user, session.tenant, session.roles, session.expires], [200, 'ann', 'acme', ['approver'], '2026-12-04T10:30:00.000Z']);
    assert.match(setCookie, /^baton_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800$/);
    const cookie = setCookie.split(';')[0];
    const withCookie = (route: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${route}`, { method, headers: { cookie, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    assert.equal((await withCookie('/runs')).status, 200, 'reads need no CSRF token');
    assert.deepEqual((await answer(await withCookie('/session'))).body.csrfToken, session.csrfToken);
    const approve = (id: string, headers: Record<string, string>) => withCookie(`/runs/${id}/approve`, 'POST', { task: 'sign_off' }, headers);
    assert.deepEqual(await code(await approve(first, { 'x-baton-action-id': 'a1' })), [403, 'CSRF_TOKEN_MISSING']);
    assert.deepEqual(await code(await approve(first, { 'x-csrf-token': `${session.csrfToken}x`, 'x-baton-action-id': 'a1' })), [403, 'CSRF_TOKEN_INVALID']);
    assert.deepEqual(await code(await approve(first, { 'x-csrf-token': session.csrfToken })), [400, 'ACTION_ID_MISSING']);
    assert.deepEqual(await decided(first), [], 'nothing decided without them');
    assert.equal((await approve(first, { 'x-csrf-token': session.csrfToken, 'x-baton-action-id': 'a1' })).status, 202);
    assert.deepEqual(await decided(first), [['ann', 'approved']]);
    // the same request again: a replay, refused before anything happens (even on another run)
    assert.deepEqual(await code(await approve(second, { 'x-csrf-token': session.csrfToken, 'x-baton-action-id': 'a1' })), [409, 'ACTION_REPLAYED']);
    assert.deepEqual(await decided(second), []);
    // a Bearer request need not carry an action id; when it does, the id is used once
    assert.equal((await as('ann-token', `/runs/${second}/reject`, 'POST', { task: 'sign_off' }, { 'x-baton-action-id': 'b1' })).status, 202);
    assert.deepEqual(await code(await as('ann-token', `/runs/${second}/approve`, 'POST', { task: 'sign_off' }, { 'x-baton-action-id': 'b1' })), [409, 'ACTION_REPLAYED']);
    assert.deepEqual(await decided(second), [['ann', 'rejected']]);

    // sign-out needs the CSRF token too; afterwards the cookie is refused
    assert.deepEqual(await code(await withCookie('/session', 'DELETE')), [403, 'CSRF_TOKEN_MISSING']);
    const out = await withCookie('/session', 'DELETE', undefined, { 'x-csrf-token': session.csrfToken });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie')!, /^baton_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    assert.deepEqual(await code(await withCookie('/runs')), [401, 'SESSION_INVALID']);
  });

  it('a forged or tampered cookie and an expired session are refused (401 SESSION_INVALID / SESSION_EXPIRED); with an https origin the cookie is Secure and __Host-', async () => {
    await boot();
    const signIn = async () => {
      const res = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'vic-token' }) });
      return res.headers.get('set-cookie')!.split(';')[0];
    };
    const cookie = await signIn();
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    const [payload, mac] = value.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const read = (c: string) => fetch(`${server.url}/runs`, { headers: { cookie: c } });
    assert.equal((await read(cookie)).status, 200);
    // vic makes himself an operator of globex, keeping the MAC
    const raised = Buffer.from(JSON.stringify({ ...claims, name: 'gus', tenant: 'globex' })).toString('base64url');
    assert.deepEqual(await code(await read(`${name}=${raised}.${mac}`)), [401, 'SESSION_INVALID']);
    // a cookie signed with another secret
    const other = createHmac('sha256', 'not-the-secret').update(`session:${raised}`).digest('base64url');
    assert.deepEqual(await code(await read(`${name}=${raised}.${other}`)), [401, 'SESSION_INVALID']);
    for (const junk of ['', '.', 'abc', `${payload}.`, `.${mac}`, `${payload}.${mac}.x`, '%%%.###']) assert.deepEqual(await code(await read(`${name}=${junk}`)), [401, 'SESSION_INVALID'], junk);
    // expired: 30 minutes after sign-in
    clock += 30 * MINUTE - 1;
    assert.equal((await read(cookie)).status, 200);
    clock += 1;
    assert.deepEqual(await code(await read(cookie)), [401, 'SESSION_EXPIRED']);
    await server.close();

    await boot({ sessions: { secret: SECRET, maxAgeMs: 30 * MINUTE, secure: true } });
    const res = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'vic-token' }) });
    assert.match(res.headers.get('set-cookie')!, /^__Host-baton_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800; Secure$/);
  });

  it('the inbox (GET /approvals): the approvals waiting that the caller may decide — by assignee or group, flows and role —, most urgent first; none of another tenant', async () => {
    await boot();
    const purchase = await start(ACME, '/purchase', { item: 'desk' });
    clock += 1000;
    const urgent = await start(ACME, '/urgent');
    await start(ACME, '/wait');
    const theirs = await start(GLOBEX, '/purchase', { item: 'chair' });
    await server.idle();
    const inboxOf = async (token: string) => ((await answer(await as(token, '/approvals'))).body.approvals as { runId: string; task: string; deadline?: string }[]).map((a) => [a.runId, a.task, a.deadline]);
    const both = [[urgent, 'go_ahead', '2026-12-04T11:00:01.000Z'], [purchase, 'sign_off', undefined]];
    assert.deepEqual(await inboxOf('ann-token'), both, 'assigned to her group, and unassigned; the one with a deadline first');
    assert.deepEqual(await inboxOf('bea-token'), [both[0]], 'not in finance: the unassigned one only');
    assert.deepEqual(await inboxOf('abe-token'), [], 'decides Waiter approvals only');
    assert.deepEqual(await inboxOf('vic-token'), [], 'a viewer decides nothing');
    assert.deepEqual(await inboxOf('oscar-token'), []);
    assert.deepEqual(await inboxOf(ACME.apiToken), both, "the tenant's admin");
    assert.deepEqual(await inboxOf('gus-token'), [[theirs, 'sign_off', undefined]]);
  });

  it('the single-token mode (no users): a tenant token is its admin, recorded as api-token:<tenant>, and so it stays beside users; X-Baton-User is never used', async () => {
    await boot({ users: [] });
    const legacy = await start(ACME, '/purchase', { item: 'desk' });
    await server.idle();
    assert.equal((await as(ACME.apiToken, `/runs/${legacy}/approve`, 'POST', { task: 'sign_off' }, { 'x-baton-user': 'kim' })).status, 202);
    assert.deepEqual(await decided(legacy), [['api-token:acme', 'approved']]);
    assert.deepEqual(await code(await as('ann-token', '/runs')), [401, 'UNAUTHORIZED'], 'no users: a user token is no token');
    await server.close();

    await boot();
    const run = await start(ACME, '/purchase', { item: 'desk' });
    await server.idle();
    assert.equal((await as(ACME.apiToken, `/runs/${run}/approve`, 'POST', { task: 'sign_off' }, { 'x-baton-user': 'kim' })).status, 202);
    assert.deepEqual(await decided(run), [['api-token:acme', 'approved']]);
    assert.deepEqual(await code(await fetch(`${server.url}/runs`)), [401, 'UNAUTHORIZED']);
  });
});

describe('baton serve: users and sessions from baton.config.json (serveAccess)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-users-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const config = (value: unknown) => writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify(value));
  const tenants = [{ id: 'default', concurrency: 8, apiToken: 'default-token' }, { id: 'acme', concurrency: 8 }];
  const usage = (env: NodeJS.ProcessEnv, message: RegExp) =>
    assert.throws(() => serveAccess(dir, env, tenants), (e: Error) => e.constructor.name === 'UsageError' && message.test(e.message), String(message));

  it('reads users (tokens from their variables) and sessions; the secret is random when no variable is set', () => {
    config({ users: { ann: { tokenEnv: 'ANN_TOKEN', tenant: 'acme', roles: ['approver'], groups: ['finance'] } }, sessions: { maxAgeMinutes: 60, origin: 'https://baton.example.com' } });
    const read = serveAccess(dir, { ANN_TOKEN: 'a' }, tenants);
    assert.deepEqual(read.users, [{ name: 'ann', tenant: 'acme', roles: ['approver'], groups: ['finance'], tokenEnv: 'ANN_TOKEN', token: 'a' }]);
    assert.deepEqual([read.sessions, read.secretSource], [{ maxAgeMs: 3_600_000, secure: true }, 'random']);
    const secret = 'x'.repeat(32);
    assert.deepEqual(serveAccess(dir, { ANN_TOKEN: 'a', BATON_SESSION_SECRET: secret }, tenants).sessions.secret, Buffer.from(secret));
  });

  it('refuses (usage error, naming the field) an unset token variable, an unknown tenant, a shared token, a short secret, an unknown role', () => {
    config({ users: { ann: { tokenEnv: 'ANN_TOKEN', roles: ['viewer'] } } });
    usage({}, /baton\.config\.json: users\.ann\.tokenEnv names ANN_TOKEN, which is not set$/);
    usage({ ANN_TOKEN: 'default-token' }, /^tenant default and user ann have the same token/);
    usage({ ANN_TOKEN: 'a', BATON_SESSION_SECRET: 'short' }, /^BATON_SESSION_SECRET must be at least 32 characters/);
    config({ users: { ann: { tokenEnv: 'ANN_TOKEN', tenant: 'globex', roles: ['viewer'] } } });
    usage({ ANN_TOKEN: 'a' }, /users\.ann\.tenant is "globex", which is not a tenant/);
    config({ users: { ann: { tokenEnv: 'ANN_TOKEN', roles: ['boss'] } } });
    usage({ ANN_TOKEN: 'a' }, /baton\.config\.json: users\.ann\.roles\.0 must be one of "viewer", "approver", "operator", "admin"$/);
    config({ users: { ann: { token: 'literal', roles: ['viewer'] } } });
    usage({}, /users\.ann has an unknown field "token"/);
    config({ sessions: { secretEnv: 'MY_SECRET' } });
    usage({}, /sessions\.secretEnv names MY_SECRET, which is not set$/);
  });
});
