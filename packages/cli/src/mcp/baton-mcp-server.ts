// Baton as an MCP server (the Model Context Protocol, @modelcontextprotocol/sdk): the workspace's flows as tools an
// assistant can start, the runs as tools and `baton://runs/<id>` resources, the waiting approvals to list and decide.
// One server for both transports: `baton mcp` (stdio, commands/mcp.ts) and `POST /mcp` of `baton serve`
// (serve/mcp-route.ts); each gives a host (what the caller may do, how runs start and continue there).
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { flowToolInputSchema, type FlowDef, type InboxItem, type JsonValue, type Permission, type RunRecord, type RunStatus } from '@baton/protocol';
import { toRunError, type RunStoreApi, type TenantScope } from '@baton/runtime';

/** A flow an MCP client can start (`start_<name>`). */
export interface McpFlow {
  flow: FlowDef;
  /** The file declaring it, as the client is told (relative to the served folder). */
  file: string;
}

/**
 * What the MCP server acts through: the transport's caller and where its runs start and continue. Every method may
 * throw an error with a `code` and a `message` (a `BatonError`, serve's `HttpError`): the client gets them as a tool
 * error (`isError`, text `CODE: message`), never a crash.
 */
export interface BatonMcpHost {
  /** The flows the caller may start, by name (unique). */
  flows: readonly McpFlow[];
  store: RunStoreApi;
  /** The caller's tenant: every store query is scoped to it (another tenant's run is a missing one). */
  scope?: TenantScope;
  /** @throws an error coded `FORBIDDEN` when the caller's roles do not grant `permission`; `what` names the action. */
  allow(permission: Permission, what: string): void;
  /**
   * Starts a run of `flow` with `inputs` (checked here against the flow's inputs: `INPUT_INVALID`): resolves once it is
   * stored; `done` settles when its execution stops (succeeded, failed, waiting, interrupted).
   */
  start(flow: McpFlow, inputs: Record<string, unknown>): Promise<{ runId: string; done: Promise<void> }>;
  /**
   * Records `decision` on approval `task` of `run` (the caller as `by`) and continues the run; `done` settles when that
   * continuation stops. @throws `NOT_ASSIGNEE`, `TASK_NOT_WAITING`, `DECISION_INVALID`, `AGENTS_MISMATCH`.
   */
  decide(run: RunRecord, task: string, decision: string, comment: string | undefined): Promise<{ done: Promise<void> }>;
  /** The approvals waiting that the caller may decide, most urgent first. */
  approvals(): Promise<InboxItem[]>;
  /**
   * Asks `run` to stop (the caller as `by`): a queued or waiting one is cancelled at once, an executing one before its
   * next step. @returns its status then. @throws `RUN_FINISHED`.
   */
  cancel(run: RunRecord): Promise<RunStatus>;
}

/** The `version` the server reports in its `initialize` answer. */
const SERVER_INFO = { name: 'baton', version: '0.1.0' };

/** How many events `run_events` answers at most at once (its `limit`'s bound). */
export const MAX_MCP_EVENTS = 1000;

/** How many runs `list_runs` answers at most (its `limit`'s bound), and the resources listed (newest first). */
export const MAX_MCP_RUNS = 100;

/** The tool name of a flow's start: `start_<flow>` (flow names are identifiers: within MCP's tool-name characters). */
export function startToolName(flow: string): string {
  return `start_${flow}`;
}

const RUN_ID = { type: 'string', description: 'The run id (a unique prefix is enough).' };
const STATUSES: RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'interrupted'];

/** The tools that are not flows' starts, with their arguments' JSON Schemas. */
const RUN_TOOLS: Tool[] = [
  {
    name: 'get_run',
    title: 'Get a run',
    description: 'A run of a Baton flow: its status, inputs, outputs, error, and what it waits on (approvals, events, timers).',
    inputSchema: { type: 'object', properties: { run_id: RUN_ID }, required: ['run_id'], additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'list_runs',
    title: 'List runs',
    description: 'The stored runs, newest first, optionally only those of one status or flow.',
    inputSchema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: STATUSES },
        flow: { type: 'string', description: 'Only runs of this flow.' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_MCP_RUNS, description: 'At most this many runs (default 20).' },
      },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'run_events',
    title: 'Read a run\'s events',
    description: 'The events of a run in order (each with its seq): steps started and finished, tool calls, approvals requested and decided, the run\'s end. Page with after = the last seq read.',
    inputSchema: {
      type: 'object',
      properties: {
        run_id: RUN_ID,
        after: { type: 'integer', minimum: 0, description: 'Only events after this seq (default 0: from the first).' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_MCP_EVENTS, description: `At most this many events (default 200, at most ${MAX_MCP_EVENTS}).` },
      },
      required: ['run_id'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'list_approvals',
    title: 'List waiting approvals',
    description: 'The approvals waiting for a decision that you may decide, most urgent first: run, flow, task, prompt, assignee, deadline and the decisions offered.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'decide_approval',
    title: 'Decide an approval',
    description: 'Approves or rejects (or gives another offered decision to) an approval a run waits on, with an optional comment, then the run continues. With wait: true, answers the run\'s outcome once it stops again.',
    inputSchema: {
      type: 'object',
      properties: {
        run_id: RUN_ID,
        task: { type: 'string', description: 'The approval\'s name (list_approvals gives it).' },
        decision: { type: 'string', description: 'approved (default), rejected, or another of the approval\'s options.' },
        comment: { type: 'string', description: 'Stored with the decision.' },
        wait: { type: 'boolean', description: 'Wait until the run stops again and answer its outcome (default false).' },
      },
      required: ['run_id', 'task'],
      additionalProperties: false,
    },
    annotations: { destructiveHint: false, idempotentHint: false },
  },
  {
    name: 'cancel_run',
    title: 'Cancel a run',
    description: 'Stops a run: a queued or waiting one (for a person, an event, a timer) is cancelled at once, a running one before its next step; its compensations run.',
    inputSchema: { type: 'object', properties: { run_id: RUN_ID }, required: ['run_id'], additionalProperties: false },
    annotations: { destructiveHint: true, idempotentHint: true },
  },
];

/**
 * The arguments' JSON Schema of a flow's start: its inputs as a flow tool's ({@link flowToolInputSchema}: required
 * unless they have a default), each default given, and `wait`.
 */
export function startInputSchema(flow: FlowDef): Tool['inputSchema'] {
  const schema = flowToolInputSchema(flow.inputs);
  const properties = { ...(schema.properties as Record<string, object>) };
  for (const input of flow.inputs) if (input.default !== undefined) properties[input.name] = { ...properties[input.name], default: input.default };
  // an input named `wait` is the flow's: the start then always answers the run id at once
  if (!flow.inputs.some((i) => i.name === 'wait')) properties.wait = { type: 'boolean', description: 'Wait until the run stops (succeeded, failed, or waiting for a person or an event) and answer its outcome; default false: answer its run id at once.' };
  return { ...schema, type: 'object', properties };
}

/** A flow's start as an MCP tool. */
function startTool(entry: McpFlow): Tool {
  const { flow } = entry;
  const outputs = flow.outputs.length > 0 ? ` Its outputs: ${flow.outputs.map((o) => o.name).join(', ')}.` : '';
  return {
    name: startToolName(flow.name),
    title: `Start ${flow.name}`,
    description: `${flow.doc ? `${flow.doc.trim()}\n\n` : ''}Starts a run of the Baton flow ${flow.name} (${entry.file}).${outputs} Answers the run id at once, or with wait: true its outcome once it stops.`,
    inputSchema: startInputSchema(flow),
    annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
  };
}

/** A tool's answer: the value as JSON text, and as structured content when it is an object. */
function answer(value: object): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

/** A tool error the model can read and act on: `CODE: message`. */
function failure(error: unknown): CallToolResult {
  const { code, message } = toRunError(error);
  return { content: [{ type: 'text', text: `${code}: ${message}` }], isError: true };
}

/** What a client is told of a run: its record without the store's internals, and what to do when it waits. */
export function runView(run: RunRecord): Record<string, JsonValue> {
  const view: Record<string, JsonValue> = { runId: run.id, flow: run.flow, status: run.status, startedAt: run.startedAt, inputs: run.inputs };
  if (run.finishedAt) view.finishedAt = run.finishedAt;
  if (Object.keys(run.outputs).length > 0 || run.status === 'succeeded') view.outputs = run.outputs;
  if (run.error) view.error = { code: run.error.code, message: run.error.message };
  if (run.waitingOn.length > 0) view.waitingOn = run.waitingOn as unknown as JsonValue;
  if (run.waitingOn.some((w) => w.kind === 'approval')) view.next = 'decide its approval with decide_approval (list_approvals shows what you may decide)';
  return view;
}

/** Reads an argument that must be a string (or is absent, when `optional`). */
function stringArg(args: Record<string, unknown>, name: string, optional: true): string | undefined;
function stringArg(args: Record<string, unknown>, name: string, optional?: false): string;
function stringArg(args: Record<string, unknown>, name: string, optional = false): string | undefined {
  const value = args[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value === '') throw coded('ARGUMENT_INVALID', `"${name}" must be a non-empty string`);
  return value;
}

/** Reads an argument that must be a whole number from `min` to `max` (or is absent: `fallback`). */
function intArg(args: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = args[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw coded('ARGUMENT_INVALID', `"${name}" must be a whole number from ${min} to ${max}`);
  return value;
}

/** Reads `wait` (absent: false). */
function waitArg(args: Record<string, unknown>): boolean {
  if (args.wait !== undefined && typeof args.wait !== 'boolean') throw coded('ARGUMENT_INVALID', '"wait" must be true or false');
  return args.wait === true;
}

/** Refuses arguments the tool does not take (a misspelt one would otherwise be ignored). */
function onlyArgs(args: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(args).find((k) => !known.includes(k));
  if (unknown !== undefined) throw coded('ARGUMENT_INVALID', `unknown argument "${unknown}"; this tool takes ${known.length > 0 ? known.join(', ') : 'no arguments'}`);
}

function coded(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** How often a wait reads the run again when its execution is elsewhere (a cluster's workers), ms. */
const WAIT_POLL_MS = 250;

/**
 * Waits for `done` — then, while the run is still queued or running (executed elsewhere: `baton serve --queue` hands
 * it to the workers, and `done` settles at once), reads it every {@link WAIT_POLL_MS} — or until the client gives up
 * on the request (`signal`): the run goes on either way (get_run reads it later). Answers the run as it is then.
 */
async function outcome(host: BatonMcpHost, runId: string, done: Promise<void>, signal: AbortSignal): Promise<Record<string, JsonValue>> {
  const until = (promise: Promise<unknown>): Promise<void> =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      void promise.then(() => resolve(), () => resolve());
    });
  await until(done);
  let run = await host.store.getRun(runId, host.scope);
  while ((run.status === 'queued' || run.status === 'running') && !signal.aborted) {
    await until(new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS)));
    run = await host.store.getRun(runId, host.scope);
  }
  return runView(run);
}

/**
 * The Baton MCP server of one host: tools `start_<Flow>` (one per startable flow, its inputs' JSON Schema from their
 * types), `get_run`, `list_runs`, `run_events`, `list_approvals`, `decide_approval`, `cancel_run`; resources `baton://runs/<id>` (the
 * run and its events, JSON; the newest {@link MAX_MCP_RUNS} listed). Each call checks the caller's permission (`read`
 * for reading, `act` to start and cancel, `decide` to decide). A Baton error — bad arguments, a run not found, a forbidden action
 * — is answered as a tool error (`isError`, `CODE: message`); an unknown tool or resource as an MCP error
 * (`InvalidParams`). Connect it to a transport (`server.connect(transport)`).
 */
export function createBatonMcpServer(host: BatonMcpHost): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: {} },
    instructions: 'Baton runs business workflows written as .flow files. Start a flow with its start_<Flow> tool (wait: true answers its outcome); a run that waits for a person shows its approvals in list_approvals, decided with decide_approval; get_run and run_events read a run.',
  });
  const byTool = new Map(host.flows.map((f) => [startToolName(f.flow.name), f]));
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...host.flows.map(startTool), ...RUN_TOOLS] }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    const flow = byTool.get(name);
    if (!flow && !RUN_TOOLS.some((t) => t.name === name)) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}": the tools are ${[...byTool.keys(), ...RUN_TOOLS.map((t) => t.name)].join(', ')}`);
    }
    try {
      if (flow) return answer(await startFlow(host, flow, args, extra.signal));
      return answer(await runTool(host, name, args, extra.signal));
    } catch (error) {
      return failure(error);
    }
  });
  server.registerResource(
    'run',
    new ResourceTemplate('baton://runs/{id}', {
      list: async () => {
        host.allow('read', 'read runs');
        const runs = await host.store.listRuns({ limit: MAX_MCP_RUNS, ...(host.scope ? { tenant: host.scope.tenant } : {}) });
        return { resources: runs.map((r) => ({ uri: `baton://runs/${r.id}`, name: `${r.flow} ${r.id}`, description: `run ${r.id} of ${r.flow}: ${r.status}`, mimeType: 'application/json' })) };
      },
    }),
    { title: 'A run of a Baton flow', description: 'The run (status, inputs, outputs, error, waits) and its events, JSON.', mimeType: 'application/json' },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.id));
      try {
        host.allow('read', 'read runs');
        const run = await host.store.getRun(id, host.scope);
        const events = await host.store.getEvents(run.id, host.scope);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ run: runView(run), events }, null, 2) }] };
      } catch (error) {
        const { code, message } = toRunError(error);
        throw new McpError(code === 'FORBIDDEN' ? ErrorCode.InvalidRequest : ErrorCode.InvalidParams, `${code}: ${message}`);
      }
    },
  );
  return server;
}

/** `start_<Flow>`: the run id at once, or (`wait`) its outcome once it stops. */
async function startFlow(host: BatonMcpHost, flow: McpFlow, args: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, JsonValue>> {
  host.allow('act', 'start runs');
  const ownWait = flow.flow.inputs.some((i) => i.name === 'wait');
  const wait = ownWait ? false : waitArg(args);
  const inputs = { ...args };
  if (!ownWait) delete inputs.wait;
  const started = await host.start(flow, inputs);
  if (!wait) return { runId: started.runId, flow: flow.flow.name, status: 'queued', next: 'get_run reads its status and outputs' };
  return outcome(host, started.runId, started.done, signal);
}

/** The run tools (not a flow's start). */
async function runTool(host: BatonMcpHost, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<object> {
  const scope = host.scope;
  switch (name) {
    case 'get_run': {
      onlyArgs(args, ['run_id']);
      host.allow('read', 'read runs');
      return runView(await host.store.getRun(stringArg(args, 'run_id'), scope));
    }
    case 'list_runs': {
      onlyArgs(args, ['status', 'flow', 'limit']);
      host.allow('read', 'read runs');
      const status = stringArg(args, 'status', true);
      if (status !== undefined && !STATUSES.includes(status as RunStatus)) throw coded('ARGUMENT_INVALID', `"status" must be one of ${STATUSES.join(', ')}`);
      const flow = stringArg(args, 'flow', true);
      const runs = await host.store.listRuns({ limit: intArg(args, 'limit', 20, 1, MAX_MCP_RUNS), ...(status ? { status: status as RunStatus } : {}), ...(flow ? { flow } : {}), ...(scope ? { tenant: scope.tenant } : {}) });
      return { runs: runs.map((r) => ({ runId: r.id, flow: r.flow, status: r.status, startedAt: r.startedAt, ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}) })) };
    }
    case 'run_events': {
      onlyArgs(args, ['run_id', 'after', 'limit']);
      host.allow('read', 'read runs');
      const run = await host.store.getRun(stringArg(args, 'run_id'), scope);
      const after = intArg(args, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intArg(args, 'limit', 200, 1, MAX_MCP_EVENTS);
      const events = host.store.eventsSince ? await host.store.eventsSince(run.id, after, limit, scope) : (await host.store.getEvents(run.id, scope)).filter((e) => e.seq > after).slice(0, limit);
      return { runId: run.id, events, ...(events.length === limit ? { next: events[events.length - 1].seq } : {}) };
    }
    case 'list_approvals': {
      onlyArgs(args, []);
      host.allow('read', 'read approvals');
      return { approvals: await host.approvals() };
    }
    case 'decide_approval': {
      onlyArgs(args, ['run_id', 'task', 'decision', 'comment', 'wait']);
      host.allow('decide', 'decide approvals');
      const task = stringArg(args, 'task');
      const decision = stringArg(args, 'decision', true) ?? 'approved';
      if (args.comment !== undefined && typeof args.comment !== 'string') throw coded('ARGUMENT_INVALID', '"comment" must be a string');
      const wait = waitArg(args);
      const run = await host.store.getRun(stringArg(args, 'run_id'), scope);
      const continued = await host.decide(run, task, decision, args.comment as string | undefined);
      if (!wait) return { runId: run.id, task, decision, next: 'the run continues; get_run reads it' };
      return { task, decision, ...(await outcome(host, run.id, continued.done, signal)) };
    }
    case 'cancel_run': {
      onlyArgs(args, ['run_id']);
      host.allow('act', 'cancel runs');
      const run = await host.store.getRun(stringArg(args, 'run_id'), scope);
      return { runId: run.id, status: await host.cancel(run) };
    }
  }
  throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"`);
}
