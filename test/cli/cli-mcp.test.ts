// `baton mcp` driven by the MCP SDK's own client over stdio: the built bin spawned as an assistant would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorText, json } from '../mcp/tool-results.js';
import { baton, CLI } from './cli-helper.js';
import { APPROVAL_FLOW } from './cli-flows.js';

/** A typed flow beside the approval one: its inputs become the tool's JSON Schema. */
const QUOTE_FLOW = `agent Pricer { stub: { total: 42 } output: { total: number } }
/** Prices an order. */
flow Quote {
  input sku: string
  input qty: number = 1
  input rush: "yes" | "no" = "no"
  output total: number
  step price: Pricer { prompt: "Price \${input.qty} of \${input.sku}" }
  set output.total = price.output.total
}
`;

describe('baton mcp (stdio, the SDK client)', function () {
  this.timeout(60_000);
  let dir: string;
  let client: Client;
  let stderr = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-'));
    mkdirSync(path.join(dir, 'flows'));
    writeFileSync(path.join(dir, 'flows', 'purchase.flow'), APPROVAL_FLOW);
    writeFileSync(path.join(dir, 'flows', 'quote.flow'), QUOTE_FLOW);
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', 'flows', '--store', path.join(dir, 'runs.db')], cwd: dir, env: { ...(process.env as Record<string, string>), NO_COLOR: '1' }, stderr: 'pipe' });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    client = new Client({ name: 'baton-test', version: '1.0.0' });
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each flow as start_<Flow> with its inputs as a JSON Schema, and the run tools', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['cancel_run', 'decide_approval', 'get_run', 'list_approvals', 'list_runs', 'run_events', 'start_Purchase', 'start_Quote']);
    const quote = tools.find((t) => t.name === 'start_Quote')!;
    assert.match(quote.description ?? '', /^Prices an order\./);
    assert.deepEqual(quote.inputSchema, {
      type: 'object',
      properties: {
        sku: { type: 'string' },
        qty: { type: 'number', default: 1 },
        rush: { enum: ['yes', 'no'], default: 'no' },
        wait: { type: 'boolean', description: quote.inputSchema.properties!.wait && (quote.inputSchema.properties!.wait as { description: string }).description },
      },
      required: ['sku'],
      additionalProperties: false,
    });
    assert.match(stderr, /baton mcp · 2 flows/);
  });

  it('starts a flow and waits for its outcome', async () => {
    const outcome = json(await client.callTool({ name: 'start_Quote', arguments: { sku: 'A-1', qty: 3, wait: true } }));
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(outcome.outputs, { total: 42 });
    assert.deepEqual(outcome.inputs, { sku: 'A-1', qty: 3, rush: 'no' });
  });

  it('starts a flow that waits for a person, lists its approval, approves it and reads the run', async () => {
    const started = json(await client.callTool({ name: 'start_Purchase', arguments: { item: 'desk', wait: true } }));
    assert.equal(started.status, 'waiting');
    assert.match(String(started.next), /decide_approval/);
    const runId = String(started.runId);
    const { approvals } = json(await client.callTool({ name: 'list_approvals', arguments: {} })) as { approvals: { runId: string; task: string; assignee?: string; prompt?: string }[] };
    const mine = approvals.find((a) => a.runId === runId);
    assert.deepEqual({ task: mine?.task, assignee: mine?.assignee, prompt: mine?.prompt }, { task: 'signoff', assignee: 'finance', prompt: 'Buy desk for 1200?' });
    const decided = json(await client.callTool({ name: 'decide_approval', arguments: { run_id: runId.slice(0, 12), task: 'signoff', comment: 'ok by me', wait: true } }));
    assert.equal(decided.status, 'succeeded');
    assert.deepEqual(decided.outputs, { decision: 'approved' });
    const run = json(await client.callTool({ name: 'get_run', arguments: { run_id: runId } }));
    assert.equal(run.status, 'succeeded');
    const { events } = json(await client.callTool({ name: 'run_events', arguments: { run_id: runId } })) as { events: { type: string; decision?: string; comment?: string; by?: string }[] };
    const decision = events.find((e) => e.type === 'approval.decided');
    assert.equal(decision?.decision, 'approved');
    assert.equal(decision?.comment, 'ok by me');
    // the same run as a resource
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === `baton://runs/${runId}`));
    const read = await client.readResource({ uri: `baton://runs/${runId}` });
    const body = JSON.parse((read.contents[0] as { text: string }).text) as { run: { status: string }; events: unknown[] };
    assert.equal(body.run.status, 'succeeded');
    assert.equal(body.events.length, events.length);
    // and the CLI sees what MCP did
    const shown = baton(['runs', 'show', runId, '--json', '--store', path.join(dir, 'runs.db')], { cwd: dir });
    assert.equal(shown.code, 0, shown.stderr);
  });

  it('starts without waiting: the run id at once', async () => {
    const started = json(await client.callTool({ name: 'start_Quote', arguments: { sku: 'B-2' } }));
    assert.match(String(started.runId), /^[0-9A-Z]{26}$/);
    const { runs } = json(await client.callTool({ name: 'list_runs', arguments: { flow: 'Quote', limit: 5 } })) as { runs: { runId: string }[] };
    assert.ok(runs.some((r) => r.runId === started.runId));
  });

  it('answers bad input with clear errors and keeps serving', async () => {
    assert.match(errorText(await client.callTool({ name: 'start_Quote', arguments: { qty: 2 } })), /^INPUT_INVALID: .*sku/);
    assert.match(errorText(await client.callTool({ name: 'start_Quote', arguments: { sku: 'x', qty: 'many' } })), /^INPUT_INVALID: .*qty/);
    assert.match(errorText(await client.callTool({ name: 'start_Quote', arguments: { sku: 'x', colour: 'red' } })), /^INPUT_INVALID: flow Quote has no input "colour"/);
    assert.match(errorText(await client.callTool({ name: 'get_run', arguments: { run_id: 'NOPE' } })), /^RUN_NOT_FOUND: /);
    assert.match(errorText(await client.callTool({ name: 'get_run', arguments: {} })), /^ARGUMENT_INVALID: "run_id" must be a non-empty string/);
    assert.match(errorText(await client.callTool({ name: 'list_runs', arguments: { limit: 0 } })), /^ARGUMENT_INVALID: "limit" must be a whole number from 1 to 100/);
    assert.match(errorText(await client.callTool({ name: 'list_approvals', arguments: { everything: true } })), /^ARGUMENT_INVALID: unknown argument "everything"/);
    const waiting = json(await client.callTool({ name: 'start_Purchase', arguments: { wait: true } }));
    assert.match(errorText(await client.callTool({ name: 'decide_approval', arguments: { run_id: waiting.runId, task: 'nosuch' } })), /^TASK_NOT_WAITING: /);
    // a waiting run cancelled: at once; a second time: RUN_FINISHED
    assert.deepEqual(json(await client.callTool({ name: 'cancel_run', arguments: { run_id: waiting.runId } })), { runId: waiting.runId, status: 'cancelled' });
    assert.match(errorText(await client.callTool({ name: 'cancel_run', arguments: { run_id: waiting.runId } })), /^RUN_FINISHED: /);
    await assert.rejects(client.callTool({ name: 'start_Nothing', arguments: {} }), (error: unknown) => error instanceof McpError && /unknown tool "start_Nothing"/.test(error.message));
    await assert.rejects(client.readResource({ uri: 'baton://runs/NOPE' }), (error: unknown) => error instanceof McpError && /RUN_NOT_FOUND/.test(error.message));
    // still serving
    assert.equal(json(await client.callTool({ name: 'start_Quote', arguments: { sku: 'C-3', wait: true } })).status, 'succeeded');
  });
});

describe('baton mcp (usage)', function () {
  this.timeout(60_000);

  it('ends with exit 0 when the client closes stdin, having written nothing but MCP to stdout', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-'));
    try {
      writeFileSync(path.join(dir, 'quote.flow'), QUOTE_FLOW);
      const result = baton(['mcp', 'quote.flow', '--store', 'runs.db'], { cwd: dir, input: '' });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /baton mcp · 1 flow \(start_Quote\) · store runs\.db · stub agents/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder with checker errors before serving (exit 2, nothing on stdout)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-'));
    try {
      writeFileSync(path.join(dir, 'bad.flow'), 'flow Bad { step a: Nobody }\n');
      const result = baton(['mcp', '.'], { cwd: dir });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /bad\.flow:1:\d+ .*Nobody/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
