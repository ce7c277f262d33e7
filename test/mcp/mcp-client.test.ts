// The MCP tools agents call (runtime/src/mcp): the SDK's Client against a test MCP server started here, over stdio
// (a process) and streamable HTTP (in this process) — list, call, errors, a server that cannot start or dies.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatonError, mcpToolsFor, type McpServerConfig, type McpTools } from '../../packages/runtime/src/index.js';
import { createMcpTools, outputOf } from '../../packages/runtime/src/mcp/mcp-client.js';
import { startHttpMcpServer } from './test-mcp-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The test server as a process over stdio (run from the repository root, where tsx resolves). */
const STDIO: McpServerConfig = { command: [process.execPath, '--import', 'tsx', 'test/mcp/test-mcp-server-stdio.ts'], cwd: ROOT, env: { CRM_USER: '${MCP_TEST_USER}' } };
const signal = (): AbortSignal => new AbortController().signal;

/** Asserts `promise` rejects with a BatonError of `code` whose message matches `message`. */
async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BatonError, `not a BatonError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('MCP tools for agents (the SDK client against a test server)', function () {
  this.timeout(30_000);
  const opened: McpTools[] = [];
  const tools = (servers: Record<string, McpServerConfig>, env: NodeJS.ProcessEnv = { MCP_TEST_USER: 'ursula', CRM_TOKEN: 's3cret' }): McpTools => {
    const t = createMcpTools(servers, env);
    opened.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close();
  });

  for (const transport of ['stdio', 'http'] as const) {
    describe(`over ${transport}`, () => {
      let http: Awaited<ReturnType<typeof startHttpMcpServer>> | undefined;
      let crm: McpTools;
      beforeEach(async () => {
        if (transport === 'http') http = await startHttpMcpServer();
        crm = tools({ crm: transport === 'stdio' ? STDIO : { url: http!.url, headers: { Authorization: 'Bearer ${CRM_TOKEN}' } } });
      });
      afterEach(async () => {
        await http?.close();
        http = undefined;
      });

      it('lists the tools once, with their schemas and hints, and calls one', async () => {
        const listed = await crm.list('crm', signal());
        assert.deepEqual(listed.map((t) => t.name), ['lookup', 'fail', 'slow', 'die', 'whoami']);
        const lookup = listed[0];
        assert.equal(lookup.description, 'Looks an order up.');
        assert.deepEqual((lookup.inputSchema as { properties: unknown }).properties, { order: { type: 'number' } });
        assert.deepEqual(lookup.annotations, { idempotentHint: true });
        assert.deepEqual(listed[4].annotations, { readOnlyHint: true, openWorldHint: false }, 'the four hints, not the title');
        assert.equal(listed[1].annotations, undefined, 'none given');
        assert.equal(await crm.list('crm', signal()), await crm.list('crm', signal()), 'listed once');
        assert.deepEqual(await crm.call('crm', 'lookup', { order: 42 }, signal()), { output: { order: 42, status: 'shipped' }, isError: false });
      });

      it('gives a tool\'s error result as isError, and ${ENV} values to the server', async () => {
        assert.deepEqual(await crm.call('crm', 'fail', {}, signal()), { output: 'the CRM is down', isError: true });
        assert.deepEqual(await crm.call('crm', 'whoami', {}, signal()), { output: transport === 'stdio' ? 'ursula' : 'Bearer s3cret', isError: false });
      });

      it('refuses bad arguments as the server does (a tool error), and a call the step aborts', async () => {
        const bad = await crm.call('crm', 'lookup', { order: 'x' }, signal());
        assert.equal(bad.isError, true);
        assert.match(JSON.stringify(bad.output), /order/);
        const controller = new AbortController();
        const call = crm.call('crm', 'slow', { ms: 5000 }, controller.signal);
        setTimeout(() => controller.abort(new Error('step timed out')), 100);
        const started = Date.now();
        await assert.rejects(call);
        assert.ok(Date.now() - started < 4000, 'the abort ended the call');
      });
    });
  }

  it('a server that cannot start is MCP_UNAVAILABLE naming the server (and the next use tries again)', async () => {
    const missing = tools({ crm: { command: ['/no/such/program-xyz'] } });
    await rejectsWith(missing.list('crm', signal()), 'MCP_UNAVAILABLE', /^MCP server "crm" \(\/no\/such\/program-xyz\) could not be started: /);
    await rejectsWith(missing.list('crm', signal()), 'MCP_UNAVAILABLE', /could not be started/);
    const exits = tools({ crm: { command: [process.execPath, '-e', 'process.exit(1)'] } });
    await rejectsWith(exits.call('crm', 'lookup', { order: 1 }, signal()), 'MCP_UNAVAILABLE', /^MCP server "crm" \(.*node.*\) could not be started: /);
    const nobody = tools({ web: { url: 'http://127.0.0.1:9/mcp' } });
    await rejectsWith(nobody.list('web', signal()), 'MCP_UNAVAILABLE', /^MCP server "web" \(http:\/\/127\.0\.0\.1:9\/mcp\) could not be reached: /);
  });

  it('a server that dies is MCP_UNAVAILABLE; it is started again at its next use', async () => {
    const crm = tools({ crm: STDIO });
    assert.equal((await crm.call('crm', 'lookup', { order: 1 }, signal())).isError, false);
    await rejectsWith(crm.call('crm', 'die', {}, signal()), 'MCP_UNAVAILABLE', /^MCP server "crm" \(.*\) closed the connection while calling die/);
    assert.deepEqual(await crm.call('crm', 'lookup', { order: 2 }, signal()), { output: { order: 2, status: 'shipped' }, isError: false });
  });

  it('an unset ${ENV} is MCP_UNAVAILABLE naming the variable, never a value; an unknown server MCP_UNKNOWN_SERVER', async () => {
    const crm = tools({ crm: STDIO }, {});
    await rejectsWith(crm.list('crm', signal()), 'MCP_UNAVAILABLE', /^MCP server "crm": env\.CRM_USER names \$\{MCP_TEST_USER\}, which is not set in the environment$/);
    await rejectsWith(crm.list('erp', signal()), 'MCP_UNKNOWN_SERVER', /^no MCP server "erp" in mcp\.servers of baton\.config\.json; the servers are crm$/);
  });

  it('mcpToolsFor: none without servers; the facade refuses an unknown server without loading the client', async () => {
    assert.equal(mcpToolsFor(undefined), undefined);
    assert.equal(mcpToolsFor({ mcp: { servers: {} } }), undefined);
    const lazy = mcpToolsFor({ mcp: { servers: { crm: STDIO } } }, { MCP_TEST_USER: 'ursula' }, new URL('file:///nowhere/mcp-client.mjs'))!;
    opened.push(lazy);
    await rejectsWith(lazy.list('erp', signal()), 'MCP_UNKNOWN_SERVER', /the servers are crm/);
    // from the sources (no bundle at that URL): the client module beside load-mcp.ts
    assert.deepEqual(await lazy.call('crm', 'whoami', {}, signal()), { output: 'ursula', isError: false });
  });

  it('outputOf: structured content first, then text (JSON when it is), else the parts', () => {
    assert.deepEqual(outputOf({ content: [], structuredContent: { a: 1 } }), { a: 1 });
    assert.deepEqual(outputOf({ content: [{ type: 'text', text: '[1,2]' }] }), [1, 2]);
    assert.equal(outputOf({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }), 'a\nb');
    assert.deepEqual(outputOf({ content: [{ type: 'image', data: 'AA==', mimeType: 'image/png' }] }), [{ type: 'image', data: 'AA==', mimeType: 'image/png' }]);
  });
});
