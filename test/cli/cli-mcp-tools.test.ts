// Agents' MCP tools through the built CLI: `mcp.servers` of baton.config.json (a stdio command, a streamable HTTP URL
// with a `${ENV}` header), a stub agent's scripted calls answered by the test MCP server, a server that cannot start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { baton, batonAsync, CLI, ROOT } from './cli-helper.js';
import { APPROVAL_FLOW, runIdOf } from './cli-flows.js';
import { startHttpMcpServer } from '../mcp/test-mcp-server.js';

const HELP_FLOW = `agent Support {
  tools: [mcp.crm.lookup, mcp.crm.whoami]
  output: { status: string }
  stub: turns([call("crm__lookup", { order: 42 }), call("crm__whoami")], { status: "shipped" })
}
flow Help {
  output status: string
  step answer: Support { prompt: "Where is order 42?" }
  set output.status = answer.output.status
}
`;

/** The stdio test server, started from the repository root (where tsx resolves). */
const stdioServer = (env: Record<string, string> = {}) => ({ command: [process.execPath, '--import', 'tsx', 'test/mcp/test-mcp-server-stdio.ts'], cwd: ROOT, env });

describe('agents\' MCP tools through baton run', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-tools-'));
    writeFileSync(path.join(dir, 'help.flow'), HELP_FLOW);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (servers: Record<string, unknown>) => writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ mcp: { servers } }));
  const toolEvents = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunEvent)
      .filter((e) => e.type === 'tool.finished') as (RunEvent & { tool: string; status: string; output?: unknown })[];

  it('calls a stdio server\'s tools (its env from ${ENV}) and closes it at exit', () => {
    config({ crm: stdioServer({ CRM_USER: '${WHO}' }) });
    const run = baton(['run', 'help.flow', '--json', '--store', 'runs.db'], { cwd: dir, env: { WHO: 'wendy' } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      toolEvents(run.stdout)
        .map((e) => [e.tool, e.status, e.output])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['crm__lookup', 'succeeded', { order: 42, status: 'shipped' }],
        ['crm__whoami', 'succeeded', 'wendy'],
      ],
    );
  });

  it('calls a streamable HTTP server with its ${ENV} header, which is never printed or stored', async () => {
    const server = await startHttpMcpServer();
    try {
      writeFileSync(path.join(dir, 'help.flow'), HELP_FLOW.replace(', call("crm__whoami")', '').replace(', mcp.crm.whoami', ''));
      config({ crm: { url: server.url, headers: { Authorization: 'Bearer ${CRM_TOKEN}' } } });
      const run = await batonAsync(['run', 'help.flow', '--json', '--store', 'runs.db'], { cwd: dir, env: { CRM_TOKEN: 'tok-7f3a9c' } });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(toolEvents(run.stdout).map((e) => [e.tool, e.status]), [['crm__lookup', 'succeeded']]);
      assert.equal(server.calls.lookup, 1);
      assert.doesNotMatch(run.stdout + run.stderr, /tok-7f3a9c/);
      assert.doesNotMatch(readFileSync(path.join(dir, 'runs.db')).toString('latin1'), /tok-7f3a9c/);
    } finally {
      await server.close();
    }
  });

  it('kill -9 while an MCP tool without hints runs: resume does not call it again, the step fails TOOL_OUTCOME_UNKNOWN', async () => {
    const server = await startHttpMcpServer();
    try {
      writeFileSync(path.join(dir, 'slow.flow'), `agent Support {
  tools: [mcp.crm.slow]
  output: { done: boolean }
  stub: turns([call("crm__slow", { ms: 60000 })], { done: true })
}
flow Slow {
  step answer: Support { prompt: "go" }
}
`);
      config({ crm: { url: server.url } });
      const child = spawn(process.execPath, [CLI, 'run', 'slow.flow', '--json', '--store', 'runs.db'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // the call has started (tool.started is stored before the call is made) and reached the server: kill the run
      while (!server.calls.slow) {
        if (child.exitCode !== null) assert.fail(`the run ended before the call: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await exited;
      const id = (JSON.parse(out.split('\n')[0]) as RunEvent).runId;
      const resumed = await batonAsync(['resume', id, '--store', 'runs.db'], { cwd: dir });
      assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
      assert.match(resumed.stdout, /TOOL_OUTCOME_UNKNOWN: step answer failed: the call stub-1-1 of crm__slow \(turn 1\) was in flight when the run stopped, so whether it took effect is unknown, and MCP server "crm" marks the tool neither read-only nor idempotent/);
      assert.equal(server.calls.slow, 1, 'not called again');
    } finally {
      await server.close();
    }
  });

  it('baton test: a stub script\'s MCP calls are answered by the configured server', () => {
    config({ crm: stdioServer({ CRM_USER: 'tess' }) });
    writeFileSync(path.join(dir, 'help.flow'), `${HELP_FLOW}\ntest "the order is found" {\n  flow: Help\n  expect: status == "succeeded" && output.status == "shipped"\n}\n`);
    const run = baton(['test', 'help.flow'], { cwd: dir });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 passed, 0 failed/);
  });

  it('a server that cannot start fails the step MCP_UNAVAILABLE, naming the server', () => {
    config({ crm: { command: ['/no/such/crm-server'] } });
    const run = baton(['run', 'help.flow', '--store', 'runs.db'], { cwd: dir });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /MCP_UNAVAILABLE: step answer failed: MCP server "crm" \(\/no\/such\/crm-server\) could not be started/);
  });

  it('an invalid mcp.servers entry is one usage error naming the field (exit 2); approve then records nothing', () => {
    config({ crm: { command: ['x'], url: 'http://127.0.0.1/mcp' } });
    const run = baton(['run', 'help.flow', '--store', 'runs.db'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /baton\.config\.json: mcp\.servers\.crm has an unknown field "command"/);
    // a run waiting for a person while the configuration was right
    rmSync(path.join(dir, 'baton.config.json'));
    writeFileSync(path.join(dir, 'purchase.flow'), APPROVAL_FLOW);
    const waiting = baton(['run', 'purchase.flow', '--json', '--store', 'runs.db'], { cwd: dir });
    assert.equal(waiting.code, 0, waiting.stderr);
    const id = runIdOf(waiting.stdout);
    config({ crm: { url: 'ftp://crm' } });
    const approve = baton(['approve', id, 'signoff', '--store', 'runs.db'], { cwd: dir });
    assert.equal(approve.code, 2);
    assert.match(approve.stderr, /mcp\.servers\.crm\.url must be an http:\/\/ or https:\/\/ URL/);
    const shown = JSON.parse(baton(['runs', 'show', id, '--json', '--store', 'runs.db'], { cwd: dir }).stdout) as { events: RunEvent[] };
    assert.equal(shown.events.filter((e) => e.type === 'approval.decided').length, 0);
  });
});
