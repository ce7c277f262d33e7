// The tool calls of one model turn of a step's tool loop (tool-loop.ts): each call's arguments checked against its
// tool's schema, its approval waited for, the call made (an agent, a flow of the workspace as a sub-flow, an MCP
// server's tool) and recorded — `tool.started` committed before the call, `tool.finished` after — and a call the
// log already finished answered from it. The calls of one turn run concurrently.
import { Ajv, type ValidateFunction } from 'ajv';
import type { ApprovalRequestedEvent, JsonSchemaObject, JsonValue, RunError, RunEvent, StepNode, ToolCallRequest, ToolDef, WaitingOn } from '@baton/protocol';
import { malformedProblem, type ToolSpec } from '../agents/agent.js';
import type { McpToolHints, McpTools } from '../agents/mcp-tools.js';
import { BatonError, toRunError } from '../errors.js';
import { callAgent } from './agent-call.js';
import type { AgentStepHost } from './agent-step.js';
import type { Frame } from './frame.js';
import { checkInputs } from './inputs.js';
import { Stopped } from './stops.js';
import { runFlowBody, type SubflowHost } from './subflow.js';
import { Suspended } from './waits.js';

/** What a tool loop uses of the execution beside what an agent step does: sub-flows for flow tools, MCP for MCP tools. */
export interface ToolHost {
  /** Runs a flow tool's body (the sub-flow machinery of subflow.ts). */
  subflows(): SubflowHost;
  /** The MCP servers' tools (RunOptions.mcp); absent when the process has no MCP client. */
  mcp?: McpTools;
}

/** A tool of the step's agent as the loop calls it: its definition and the schema the model was given. */
export interface LoopTool {
  def: ToolDef;
  spec: ToolSpec;
  /** An MCP tool's behaviour hints from its server's list (`{}`: none given — the spec's defaults). */
  hints?: McpToolHints;
}

/** One call's result, as the next turn gives it back to the model. */
export interface ToolResult {
  callId: string;
  output?: JsonValue;
  error?: RunError;
}

/** The step whose loop makes the calls, and what its calls share. */
export interface ToolTurn {
  s: StepNode;
  key: string;
  turn: number;
  frame: Frame;
  tools: Map<string, LoopTool>;
  /** Aborted at the loop's deadline, on cancellation or a failing sibling. */
  signal: AbortSignal;
  /** Counts an agent tool's tokens against the run's budget (and the step's total). */
  charge(tokens: number): void;
}

/**
 * Runs a turn's `calls` concurrently and returns their results in order. A call the log finished is answered from
 * it; a call that waits for its approval makes the whole turn wait once the others have settled.
 * @throws Suspended with the approvals the turn waits for; Stopped; the first failure that is not the tool's own
 *   (the run's budget, a store failure) — a tool's own failure is its result.
 */
export async function runToolCalls(host: AgentStepHost & ToolHost, t: ToolTurn, calls: ToolCallRequest[]): Promise<ToolResult[]> {
  const settled = await Promise.allSettled(calls.map((call) => runToolCall(host, t, call, calls.length > 1)));
  const waits: WaitingOn[] = [];
  const results: ToolResult[] = [];
  for (const r of settled) {
    if (r.status === 'fulfilled') results.push(r.value);
    else if (r.reason instanceof Suspended) waits.push(...r.reason.waits);
    else throw r.reason;
  }
  if (waits.length) throw new Suspended(waits);
  return results;
}

/** Runs (or answers from the log) one tool call; see {@link runToolCalls}. */
async function runToolCall(host: AgentStepHost & ToolHost, t: ToolTurn, call: ToolCallRequest, concurrent: boolean): Promise<ToolResult> {
  const done = host.log.toolResults.get(t.key)?.get(`${t.turn}|${call.id}`);
  if (done) {
    // its tokens count again in this process (a flow tool's steps are not replayed: they are its tokens)
    if (done.tokens) t.charge(done.tokens);
    return resultOf(call.id, done.output, done.error);
  }
  const refuse = (error: RunError): ToolResult => {
    host.emit({ type: 'tool.finished', step: t.key, node: t.s.id, turn: t.turn, callId: call.id, tool: call.tool, status: 'refused', error, durationMs: 0, tokens: 0 });
    return { callId: call.id, error };
  };
  const tool = t.tools.get(call.tool);
  if (!tool) return refuse({ code: 'TOOL_UNKNOWN', message: `there is no tool "${call.tool}"; the tools are ${[...t.tools.keys()].join(', ')}` });
  const malformed = malformedProblem(call.arguments);
  if (malformed !== undefined) return refuse({ code: 'TOOL_BAD_ARGUMENTS', message: `the arguments of ${call.tool} are malformed: ${malformed}` });
  const invalid = schemaProblem(tool.spec.inputSchema, call.arguments);
  if (invalid !== undefined) return refuse({ code: 'TOOL_BAD_ARGUMENTS', message: `the arguments of ${call.tool} do not match its schema: ${invalid}` });
  if (tool.def.approval) {
    const refusal = await toolApproval(host, t, call, tool.def);
    if (refusal) return refuse(refusal);
  }
  const target = tool.def.target;
  const inFlight = host.log.toolStarts.get(`${t.key}|${t.turn}|${call.id}`);
  const unsafe = inFlight ? repeatProblem(tool) : undefined;
  if (unsafe) {
    // in flight when the run stopped, and not safe to make twice: the step fails rather than doing it again
    const error: RunError = { code: 'TOOL_OUTCOME_UNKNOWN', message: `the call ${call.id} of ${call.tool} (turn ${t.turn}) was in flight when the run stopped, so whether it took effect is unknown, and ${unsafe}: it is not made again — check its effect, then redrive the run or handle the step's error` };
    host.emit({ type: 'tool.finished', step: t.key, node: t.s.id, turn: t.turn, callId: call.id, tool: call.tool, status: 'failed', error, durationMs: 0, tokens: 0 });
    throw new BatonError(error.code, error.message);
  }
  // a call in flight when the run stopped is made again with the index it had (and the same idempotency key)
  const callIndex = target.kind === 'agent' ? (inFlight?.callIndex ?? host.log.takeCall(target.name)) : undefined;
  const childRun = target.kind === 'flow' ? `${t.key}/${call.id}` : undefined;
  host.emit({ type: 'tool.started', step: t.key, node: t.s.id, turn: t.turn, callId: call.id, tool: call.tool, target: target.kind, arguments: call.arguments, ...(childRun ? { childRun } : {}), ...(callIndex !== undefined ? { callIndex } : {}) });
  // the call's start is stored before it is made: after a crash it is made again (same idempotency key), never lost
  await host.commit();
  if (host.crashAt === `tool ${t.key}/${call.id}`) process.kill(process.pid, 'SIGKILL');
  const started = Date.now();
  let output: JsonValue | undefined;
  let error: RunError | undefined;
  let tokens = 0;
  try {
    if (target.kind === 'agent') {
      const agent = host.agents[target.name];
      if (!agent) throw new BatonError('UNKNOWN_AGENT', `tool ${call.tool} calls unknown agent ${target.name}`);
      const args = (call.arguments ?? {}) as { prompt?: string; input?: JsonValue };
      const idempotencyKey = `${host.runId}/${t.key}/tool/${call.id}`;
      const response = await callAgent(host.caller, agent, { stepKey: t.key, prompt: typeof args.prompt === 'string' ? args.prompt : '', input: args.input, callIndex: callIndex!, runId: host.runId, idempotencyKey, timeoutMs: agent.timeoutMs }, t.signal);
      output = response.output;
      tokens = response.tokens ?? 0;
    } else if (target.kind === 'flow') {
      const sub = host.subflows();
      const flow = sub.flows[target.name];
      if (!flow) throw new BatonError('UNKNOWN_FLOW', `tool ${call.tool} calls unknown flow ${target.name}`);
      const inputs = checkInputs(flow, (call.arguments ?? {}) as Record<string, unknown>);
      const outputs = await runFlowBody(sub, flow, inputs, { key: t.key, name: t.s.name, prefix: `${childRun}/`, signal: t.signal, concurrent: t.frame.concurrent || concurrent }, t.frame);
      output = outputs as JsonValue;
      tokens = flowTokens(host, `${childRun}/`);
    } else {
      if (!host.mcp) throw new BatonError('MCP_UNAVAILABLE', `tool ${call.tool} needs MCP server "${target.server}", but this process has no MCP client`);
      const answer = await host.mcp.call(target.server, target.tool, call.arguments, t.signal);
      if (answer.isError) error = { code: 'TOOL_FAILED', message: `${target.server}.${target.tool} failed: ${textOf(answer.output)}` };
      else output = answer.output;
    }
  } catch (thrown) {
    // a wait or a stop inside a flow tool stops the loop (the call stays started: it runs again on resume)
    if (thrown instanceof Suspended || thrown instanceof Stopped) throw thrown;
    if (host.interrupted()) throw await host.stopped();
    error = toRunError(thrown);
  }
  // an agent tool's tokens count against the run's budget (a flow tool's steps counted their own)
  if (target.kind === 'agent' && error === undefined) t.charge(tokens);
  const status = error ? 'failed' : 'succeeded';
  host.emit({ type: 'tool.finished', step: t.key, node: t.s.id, turn: t.turn, callId: call.id, tool: call.tool, status, ...(error ? { error } : { output }), durationMs: Date.now() - started, tokens });
  return resultOf(call.id, output, error);
}

/**
 * Why a call of `tool` that was in flight when the run stopped (its `tool.started` stored, no `tool.finished`) may
 * not be made again, or undefined when it may. A flow tool is never made again but continued (its finished steps come
 * from the log). The tool's own `idempotent:` decides (an agent tool takes its agent's `idempotent: false`); else an
 * agent tool may (it gets the same idempotency key), and an MCP tool only when its server marks it `readOnlyHint` or
 * `idempotentHint` — without them the MCP spec's defaults say it may destroy things and do its work again.
 */
export function repeatProblem(tool: LoopTool): string | undefined {
  const { def, hints } = tool;
  if (def.target.kind === 'flow' || def.idempotent === true) return undefined;
  if (def.idempotent === false) return 'the tool says `idempotent: false` (a second call may do its work again)';
  if (def.target.kind !== 'mcp' || hints?.readOnlyHint === true || hints?.idempotentHint === true) return undefined;
  const server = `MCP server "${def.target.server}"`;
  if (hints?.destructiveHint === true) return `${server} marks the tool destructive and not idempotent`;
  return `${server} marks the tool neither read-only nor idempotent (say \`idempotent: true\` on the tool if a second call is harmless)`;
}

function resultOf(callId: string, output: JsonValue | undefined, error: RunError | undefined): ToolResult {
  return error ? { callId, error } : { callId, output: output ?? null };
}

/**
 * A tool with `approval`: the call waits for a person's decision, recorded as an approval whose task is
 * `<step>/<callId>` and whose `toolCall` says what the model asked to run.
 * @returns undefined when approved; the refusal (`TOOL_REFUSED`) when rejected or timed out.
 * @throws Suspended while nobody has decided.
 */
async function toolApproval(host: AgentStepHost & ToolHost, t: ToolTurn, call: ToolCallRequest, def: ToolDef): Promise<RunError | undefined> {
  const task = `${t.key}/${call.id}`;
  let decided = host.log.decisions.get(task);
  let requested = host.log.approvalsRequested.get(task);
  if (!decided && !requested) {
    const approval = def.approval!;
    const deadline = approval.timeoutMs !== undefined ? new Date(host.now().getTime() + approval.timeoutMs).toISOString() : undefined;
    requested = host.emit({
      type: 'approval.requested',
      task,
      node: t.s.id,
      prompt: `${t.s.target.name} asks to call ${call.tool} with ${compact(call.arguments)}`,
      ...(approval.assignee ? { assignee: approval.assignee } : {}),
      ...(deadline ? { deadline } : {}),
      options: ['approved', 'rejected'],
      toolCall: { ...call, step: t.key },
    }) as ApprovalRequestedEvent;
  }
  if (!decided && requested?.deadline && host.now().getTime() >= Date.parse(requested.deadline)) {
    decided = host.emit({ type: 'approval.decided', task, node: t.s.id, decision: 'timeout', by: 'baton' }) as Extract<RunEvent, { type: 'approval.decided' }>;
  }
  if (!decided) {
    const r = requested!;
    throw new Suspended([{ kind: 'approval', task, node: t.s.id, assignee: r.assignee, prompt: r.prompt, deadline: r.deadline, options: r.options }]);
  }
  if (decided.decision === 'approved') return undefined;
  if (decided.decision === 'timeout') return { code: 'TOOL_REFUSED', message: `nobody approved the call of ${call.tool} in time` };
  return { code: 'TOOL_REFUSED', message: `the call of ${call.tool} was ${decided.decision}${decided.by ? ` by ${decided.by}` : ''}${decided.comment ? `: ${decided.comment}` : ''}` };
}

/** The tokens the steps of a flow tool's run used (their keys start with `prefix`), from the log. */
function flowTokens(host: AgentStepHost, prefix: string): number {
  let tokens = 0;
  for (const [key, finished] of host.log.finishedSteps) if (key.startsWith(prefix)) tokens += finished.tokens;
  return tokens;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<JsonSchemaObject, ValidateFunction | null>();

/**
 * What is wrong with `args` for `schema` (ajv's message, `arguments/…` paths), or undefined when they match. A schema
 * ajv cannot compile (an MCP server's dialect it does not know) checks nothing: the server checks its arguments.
 */
export function schemaProblem(schema: JsonSchemaObject, args: JsonValue): string | undefined {
  let validate = validators.get(schema);
  if (validate === undefined) {
    const { $schema: _dialect, ...rest } = schema;
    try {
      validate = ajv.compile(rest);
    } catch {
      validate = null;
    }
    validators.set(schema, validate);
  }
  if (!validate || validate(args)) return undefined;
  return ajv.errorsText(validate.errors, { dataVar: 'arguments' });
}

/** A value as short JSON text for a message (at most 200 characters). */
function compact(value: JsonValue): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** An MCP tool's error content as text: its text parts, else its JSON. */
function textOf(output: JsonValue): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    const texts = output.map((p) => (p && typeof p === 'object' && !Array.isArray(p) && typeof p.text === 'string' ? p.text : undefined)).filter((x) => x !== undefined);
    if (texts.length) return texts.join('\n');
  }
  return compact(output);
}
