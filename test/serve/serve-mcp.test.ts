// `POST /mcp` of `baton serve` driven by the MCP SDK's own client over streamable HTTP: the same users, roles and
// tenants as the runs API (a viewer reads but neither starts nor decides; a tenant sees only its runs; Bearer only).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorText, json } from '../mcp/tool-results.js';
import { SqliteRunStore, type RunStoreApi, type User } from '../../packages/runtime/src/index.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { ACME, serveClient, startTestServer } from './serve-fixtures.js';

const FLOWS = `
agent Pricer { stub: { total: 42 } output: { total: number } }
/** Buys an item once finance signs off. */
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  output total: number
  step quote: Pricer { prompt: "Price \${input.item}" }
  approval sign_off { prompt: "buy \${input.item}?" assignee: "finance" }
  set output.total = quote.output.total
}
flow Internal {
  input x: number
  step quote: Pricer { prompt: "internal" }
}
`;

const user = (name: string, tenant: string, roles: User['roles'], extra: Partial<User> = {}): User => ({ name, tenant, roles, groups: [], tokenEnv: 'X', token: `${name}-token`, ...extra });
const USERS: User[] = [
  user('olga', 'acme', ['operator']),
  user('fran', 'acme', ['approver'], { groups: ['finance'] }),
  user('vic', 'acme', ['viewer']),
  user('gus', 'globex', ['operator', 'approver'], { groups: ['finance'] }),
];

describe('baton serve: POST /mcp (the SDK client over streamable HTTP)', function () {
  this.timeout(30_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;
  const clients: Client[] = [];

  /** An MCP client of the server, with `token` as Bearer (and `query`, e.g. `?tenant=`). */
  const connect = async (token: string, query = ''): Promise<Client> => {
    const client = new Client({ name: 'baton-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp${query}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-mcp-'));
    writeFileSync(path.join(dir, 'flows.flow'), FLOWS);
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    server = await startTestServer(dir, { store, users: USERS });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an operator starts a served flow and waits; an approver of the group decides it; recorded as each user', async () => {
    const olga = await connect('olga-token');
    const { tools } = await olga.listTools();
    // the served flows only (those with a trigger), as POST /runs starts
    assert.deepEqual(tools.map((t) => t.name).filter((n) => n.startsWith('start_')), ['start_Purchase']);
    assert.match(tools[0].description ?? '', /^Buys an item once finance signs off\./);
    const started = json(await olga.callTool({ name: 'start_Purchase', arguments: { item: 'desk', wait: true } }));
    assert.equal(started.status, 'waiting');
    const runId = String(started.runId);
    assert.equal((await store.getRun(runId)).tenant, 'acme');

    const fran = await connect('fran-token');
    const { approvals } = json(await fran.callTool({ name: 'list_approvals', arguments: {} })) as { approvals: { runId: string; task: string }[] };
    assert.deepEqual(approvals.map((a) => [a.runId, a.task]), [[runId, 'sign_off']]);
    const decided = json(await fran.callTool({ name: 'decide_approval', arguments: { run_id: runId, task: 'sign_off', comment: 'fine', wait: true } }));
    assert.equal(decided.status, 'succeeded');
    assert.deepEqual(decided.outputs, { total: 42 });
    const events = await store.getEvents(runId);
    const decision = events.find((e) => e.type === 'approval.decided') as { by?: string; comment?: string } | undefined;
    assert.deepEqual([decision?.by, decision?.comment], ['fran', 'fine']);
    // the same run through the runs API
    const { as, answer } = serveClient(() => server.url);
    assert.equal(((await answer(await as('vic-token', `/runs/${runId}?events=0`))).body.run as { status: string }).status, 'succeeded');
  });

  it('a viewer reads but cannot start, decide or cancel; an operator cannot decide (FORBIDDEN, nothing stored) but cancels', async () => {
    const olga = await connect('olga-token');
    const runId = String(json(await olga.callTool({ name: 'start_Purchase', arguments: { item: 'desk', wait: true } })).runId);
    const vic = await connect('vic-token');
    assert.equal(json(await vic.callTool({ name: 'get_run', arguments: { run_id: runId } })).status, 'waiting');
    assert.match(errorText(await vic.callTool({ name: 'start_Purchase', arguments: { item: 'chair' } })), /^FORBIDDEN: vic \(viewer\) may not start runs: that takes operator or admin$/);
    assert.match(errorText(await vic.callTool({ name: 'decide_approval', arguments: { run_id: runId, task: 'sign_off' } })), /^FORBIDDEN: vic \(viewer\) may not decide approvals/);
    assert.match(errorText(await olga.callTool({ name: 'decide_approval', arguments: { run_id: runId, task: 'sign_off' } })), /^FORBIDDEN: olga \(operator\) may not decide approvals/);
    assert.match(errorText(await vic.callTool({ name: 'cancel_run', arguments: { run_id: runId } })), /^FORBIDDEN: vic \(viewer\) may not cancel runs/);
    assert.equal((await store.listRuns({})).length, 1);
    assert.equal((await store.getRun(runId)).status, 'waiting');
    // the operator may cancel it, recorded as olga
    assert.equal(json(await olga.callTool({ name: 'cancel_run', arguments: { run_id: runId } })).status, 'cancelled');
    assert.equal((await store.getRun(runId)).status, 'cancelled');
    assert.deepEqual((await store.getEvents(runId)).filter((e) => e.type === 'cancel.requested').map((e) => (e as { by?: string }).by), ['olga']);
  });

  it('a tenant sees only its runs and approvals: another tenant\'s run is a missing one', async () => {
    const olga = await connect('olga-token');
    const acmeRun = String(json(await olga.callTool({ name: 'start_Purchase', arguments: { item: 'desk', wait: true } })).runId);
    const gus = await connect('gus-token');
    const globexRun = String(json(await gus.callTool({ name: 'start_Purchase', arguments: { item: 'chair', wait: true } })).runId);
    assert.equal((await store.getRun(globexRun)).tenant, 'globex');
    const listed = (json(await gus.callTool({ name: 'list_runs', arguments: {} })).runs as { runId: string }[]).map((r) => r.runId);
    assert.deepEqual(listed, [globexRun]);
    assert.match(errorText(await gus.callTool({ name: 'get_run', arguments: { run_id: acmeRun } })), /^RUN_NOT_FOUND: /);
    assert.match(errorText(await gus.callTool({ name: 'decide_approval', arguments: { run_id: acmeRun, task: 'sign_off' } })), /^RUN_NOT_FOUND: /);
    const approvals = (json(await gus.callTool({ name: 'list_approvals', arguments: {} })).approvals as { runId: string }[]).map((a) => a.runId);
    assert.deepEqual(approvals, [globexRun]);
    await assert.rejects(gus.readResource({ uri: `baton://runs/${acmeRun}` }), (e: unknown) => e instanceof McpError && /RUN_NOT_FOUND/.test(e.message));
    assert.deepEqual((await gus.listResources()).resources.map((r) => r.uri), [`baton://runs/${globexRun}`]);
    // a tenant's API token is that tenant's admin
    const acmeToken = await connect(ACME.apiToken);
    assert.deepEqual((json(await acmeToken.callTool({ name: 'list_runs', arguments: {} })).runs as { runId: string }[]).map((r) => r.runId), [acmeRun]);
    assert.match(errorText(await acmeToken.callTool({ name: 'get_run', arguments: { run_id: globexRun } })), /^RUN_NOT_FOUND: /);
  });

  it('bad input is a clear tool error', async () => {
    const olga = await connect('olga-token');
    assert.match(errorText(await olga.callTool({ name: 'start_Purchase', arguments: {} })), /^INPUT_INVALID: .*item/);
    assert.match(errorText(await olga.callTool({ name: 'start_Purchase', arguments: { item: 3 } })), /^INPUT_INVALID: .*item/);
    await assert.rejects(olga.callTool({ name: 'start_Internal', arguments: { x: 1 } }), (e: unknown) => e instanceof McpError && /unknown tool "start_Internal"/.test(e.message));
  });

  it('refuses a missing or unknown token, a session cookie, and GET (no session stream)', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const codeOf = async (res: Response) => [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
    assert.deepEqual(await codeOf(await post({})), [401, 'UNAUTHORIZED']);
    assert.deepEqual(await codeOf(await post({ authorization: 'Bearer nope' })), [401, 'UNAUTHORIZED']);
    // a console session (signed in with a user's token) is not accepted at /mcp
    const signIn = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'olga-token' }) });
    assert.equal(signIn.status, 200, await signIn.clone().text());
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    assert.deepEqual(await codeOf(await post({ cookie })), [401, 'BEARER_REQUIRED']);
    const get = await fetch(`${server.url}/mcp`, { headers: { authorization: 'Bearer olga-token', accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    await get.body?.cancel();
    await assert.rejects(connect('nope'), /401|UNAUTHORIZED/);
  });
});
