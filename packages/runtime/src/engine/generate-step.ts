// Flows written by agents, as the statement interpreter runs them (docs/agents.md, "Flows written by agents"): the
// generating step (an agent with `output: flow` under a `generate { … }` policy) asks for flow source, has it checked
// (FlowAuthoring, injected), gives the diagnostics back for at most `repairs` more attempts, and stores the accepted
// definition by hash; `step s: run plan` runs that definition's flow as a sub-flow.
import type { FlowGeneratedEvent, GeneratedFlowDiagnostic, GeneratePolicy, JsonValue, RunError, Statement, StepNode, WorkflowDefinition } from '@baton/protocol';
import { forEachStatement, MAX_GENERATED_SOURCE_LENGTH, MAX_RECORDED_GENERATED_SOURCE } from '@baton/protocol';
import { idempotencyKeyOf } from '../agents/agent.js';
import { BatonError, toRunError } from '../errors.js';
import { evaluate, renderText } from '../expr/evaluate.js';
import { toJson } from '../expr/values.js';
import type { RunStoreApi, SourceFile } from '../store/store-api.js';
import { takeCallIndex, type AgentStepHost } from './agent-step.js';
import { callAgent } from './agent-call.js';
import type { FlowAuthoring } from './flow-authoring.js';
import type { Frame } from './frame.js';
import { stepView } from './scope.js';
import { RunFailure, Stopped } from './stops.js';
import { subflowStep, type SubflowHost } from './subflow.js';

/** The most diagnostics one `flow.generated` event keeps (and the agent is shown). */
export const MAX_GENERATED_DIAGNOSTICS = 50;

/** What the generating and `run` steps use of the execution running them. */
export interface GenerateHost {
  agentHost: AgentStepHost;
  subflowHost: SubflowHost;
  store: RunStoreApi;
  /** The checker (absent: a generating step fails `FLOW_AUTHORING_UNAVAILABLE`). */
  authoring: FlowAuthoring | undefined;
  /** The running definition's `.flow` texts (attached to it, else stored with the run). */
  sources(): Promise<readonly SourceFile[]>;
  /** Accepted definitions this execution stored or read, by hash (SHA-256 hex). */
  generated: Map<string, WorkflowDefinition>;
}

/**
 * Runs generating step `s` (instance `key`) that the log has not finished: attempt after attempt — those the log
 * holds (`flow.generated`) are not asked again — calls the agent (its own call index and idempotency key, everything
 * recorded before committed first), checks the answer, stores an accepted definition before its `flow.generated`,
 * and ends with `step.finished`: output `{ source, flow, definition, attempts }`, or failed `FLOW_REJECTED` with the
 * last diagnostics once `1 + repairs` attempts were refused.
 * @throws RunFailure the step's error unless it says `on error: continue`; Stopped when the run stops meanwhile.
 */
export async function generateStep(host: GenerateHost, s: StepNode, key: string, frame: Frame): Promise<void> {
  const a = host.agentHost;
  const policy = s.generate!;
  const agentName = s.target.name;
  const agent = a.agents[agentName];
  if (!agent) throw new RunFailure('UNKNOWN_AGENT', `step ${key} calls unknown agent ${agentName}`, key);
  const started = Date.now();
  a.emit({ type: 'step.started', step: key, node: s.id, agent: agentName, target: 'agent' });
  const past = a.log.generatedFlows.get(key) ?? [];
  const callIndexes = past.map((e) => e.callIndex);
  let tokens = past.reduce((sum, e) => sum + e.tokens, 0);
  let last: FlowGeneratedEvent | undefined = past.at(-1);
  let failure: RunError | undefined;
  try {
    const prompt = s.prompt ? renderText(s.prompt, a.evalScope(frame)) : '';
    const input = s.input ? toJson(evaluate(s.input, a.evalScope(frame))) : undefined;
    while (!last?.accepted && (last?.attempt ?? 0) < 1 + policy.repairs) {
      if (!host.authoring) throw new BatonError('FLOW_AUTHORING_UNAVAILABLE', `step ${key} generates a flow, but this runner has no flow checker (run it with baton run, test, serve or worker)`);
      const stopping = a.checkStop(frame);
      if (stopping) await stopping;
      const attempt = (last?.attempt ?? 0) + 1;
      const callIndex = takeCallIndex(a, agentName, key, frame);
      callIndexes.push(callIndex);
      await a.commit();
      if (a.crashAt === key) process.kill(process.pid, 'SIGKILL');
      const request = { generate: { attempt, policy: policyForAgent(policy), ...(last ? { previous: { source: last.source, diagnostics: last.diagnostics } } : {}) }, ...(input === undefined ? {} : { input }) } as unknown as JsonValue;
      const response = await callAgent(a.caller, agent, { stepKey: key, prompt: generationPrompt(prompt, policy, last), input: request, callIndex, runId: a.runId, idempotencyKey: idempotencyKeyOf(a.runId, key, callIndex), timeoutMs: s.timeoutMs ?? agent.timeoutMs }, frame.signal);
      const used = response.tokens ?? 0;
      tokens += used;
      const source = typeof response.output === 'string' ? response.output : JSON.stringify(response.output);
      const verdict = source.length > MAX_GENERATED_SOURCE_LENGTH
        ? { ok: false as const, diagnostics: [{ line: 1, column: 1, code: 'generate-too-long', message: `the flow is ${source.length} characters long, more than ${MAX_GENERATED_SOURCE_LENGTH}` }] }
        : await host.authoring.check({ source, policy, file: s.range.file, sources: await host.sources() }, frame.signal);
      const base = { type: 'flow.generated' as const, step: key, node: s.id, agent: agentName, attempt, callIndex, source: source.slice(0, MAX_RECORDED_GENERATED_SOURCE), tokens: used };
      if (verdict.ok) {
        // the definition is stored before the event that names it: a resumed run always finds it
        const hash = await host.store.putDefinition(verdict.definition, verdict.sources);
        host.generated.set(hash, verdict.definition);
        last = a.emit({ ...base, accepted: true, diagnostics: [], flow: verdict.flow, definition: `sha256:${hash}` }) as FlowGeneratedEvent;
      } else {
        last = a.emit({ ...base, accepted: false, diagnostics: verdict.diagnostics.slice(0, MAX_GENERATED_DIAGNOSTICS) }) as FlowGeneratedEvent;
      }
    }
    if (!last?.accepted) {
      failure = { code: 'FLOW_REJECTED', message: `the flow agent ${agentName} wrote was refused ${last?.attempt ?? 0} time${last?.attempt === 1 ? '' : 's'} (repairs: ${policy.repairs}); last: ${describeDiagnostics(last?.diagnostics ?? [])}` };
    }
  } catch (error) {
    if (error instanceof Stopped) throw error;
    if (a.interrupted()) throw await a.stopped();
    failure = toRunError(error);
  }
  const durationMs = Date.now() - started;
  const attempts = last?.attempt ?? 0;
  if (!failure && last?.accepted) {
    const output: JsonValue = { source: last.source, flow: last.flow!, definition: last.definition!, attempts };
    const e = a.emit({ type: 'step.finished', step: key, node: s.id, agent: agentName, status: 'succeeded', output, durationMs, attempts, tokens, callIndexes });
    frame.scope.set(s.name, stepView({ output, status: 'succeeded', durationMs, tokens, attempts }));
    a.registerCompensation(s, key, e.seq, frame);
    a.chargeTokens(tokens, frame, key);
    return;
  }
  const error = failure ?? { code: 'FLOW_REJECTED', message: 'no flow was accepted' };
  a.emit({ type: 'step.finished', step: key, node: s.id, agent: agentName, status: 'failed', error, durationMs, attempts, tokens, callIndexes });
  frame.scope.set(s.name, stepView({ status: 'failed', error, durationMs, attempts }));
  if (s.onError !== 'continue') throw new RunFailure(error.code, `step ${key} failed: ${error.message}`, key);
}

/**
 * Runs `step s: run plan` (instance `key`): the flow step `plan` generated, loaded by its hash (from this execution,
 * else the store — a resumed run runs the definition stored at acceptance), as a sub-flow with the step's inputs and
 * the policy's token budget (the lower of it and the flow's own `budget tokens`).
 * @throws RunFailure `FLOW_NOT_GENERATED` (step `plan` did not succeed), `DEFINITION_NOT_FOUND`, and the sub-flow's failures.
 */
export async function generatedFlowStep(host: GenerateHost, s: StepNode, key: string, frame: Frame, policyOf: (step: string) => GeneratePolicy | undefined): Promise<void> {
  const name = s.target.name;
  const output = toJson(evaluate({ kind: 'member', object: { kind: 'ref', name }, property: 'output' }, host.agentHost.evalScope(frame))) as { flow?: unknown; definition?: unknown } | null;
  let flow;
  let budget: number | undefined;
  try {
    if (!output || typeof output.definition !== 'string' || typeof output.flow !== 'string') {
      throw new RunFailure('FLOW_NOT_GENERATED', `step ${key} runs the flow step ${name} generated, but ${name} generated none (it did not succeed)`, key);
    }
    const hash = output.definition.replace(/^sha256:/, '');
    let definition = host.generated.get(hash);
    if (!definition) {
      definition = await host.store.getDefinitionByHash(hash);
      host.generated.set(hash, definition);
    }
    flow = definition.flows[output.flow];
    if (!flow) throw new RunFailure('UNKNOWN_FLOW', `the definition step ${name} generated (sha256:${hash}) has no flow ${output.flow}`, key);
    const limits = [policyOf(name)?.budgetTokens, flow.budgetTokens].filter((n): n is number => n !== undefined);
    budget = limits.length > 0 ? Math.min(...limits) : undefined;
  } catch (error) {
    if (error instanceof Stopped) throw error;
    const runError = toRunError(error);
    host.agentHost.emit({ type: 'step.finished', step: key, node: s.id, agent: name, status: 'failed', error: runError, durationMs: 0, attempts: 1, tokens: 0, callIndexes: [] });
    frame.scope.set(s.name, stepView({ status: 'failed', error: runError, attempts: 1 }));
    if (s.onError !== 'continue') throw new RunFailure(runError.code, runError.message, key);
    return;
  }
  return subflowStep(host.subflowHost, s, key, frame, { flow, budgetTokens: budget });
}

/** The policy as the agent is given it (no source ranges). */
function policyForAgent(policy: GeneratePolicy): Omit<GeneratePolicy, 'range'> {
  const { range, ...rest } = policy;
  void range;
  return rest;
}

/**
 * What the agent is asked: the step's prompt, then the rules its flow must follow, and — for a repair — what it wrote
 * last time and the checker's diagnostics.
 */
export function generationPrompt(prompt: string, policy: GeneratePolicy, last: FlowGeneratedEvent | undefined): string {
  const list = (names: string[]): string => (names.length > 0 ? names.join(', ') : 'none');
  const rules = [
    'Answer with the source of one Baton flow (`flow Name { … }`) and nothing else: no import, agent, type, test or event declarations, no triggers.',
    `Its steps may call these agents: ${list(policy.agents)}; and these flows: ${list(policy.flows)}.`,
    `At most ${policy.maxSteps} steps.${policy.budgetTokens !== undefined ? ` It may use at most ${policy.budgetTokens} tokens.` : ''}`,
  ];
  if (policy.input) rules.push(`Its inputs must be among: ${JSON.stringify(policy.input)}.`);
  if (policy.output) rules.push(`It must declare these outputs: ${JSON.stringify(policy.output)}.`);
  const repair = last ? `\n\nYour previous flow was refused:\n${last.source}\n\nThe checker said:\n${last.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`).join('\n')}\n\nWrite the whole flow again, fixed.` : '';
  return `${prompt}${prompt ? '\n\n' : ''}${rules.join('\n')}${repair}`;
}

/** The first diagnostics for a message: `3:5 unknown-agent: …; …` (at most 3, then how many more). */
function describeDiagnostics(diagnostics: readonly GeneratedFlowDiagnostic[]): string {
  if (diagnostics.length === 0) return 'no diagnostics';
  const shown = diagnostics.slice(0, 3).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`);
  return `${shown.join('; ')}${diagnostics.length > 3 ? ` (and ${diagnostics.length - 3} more)` : ''}`;
}

/** The `generate` policy of the step named `name` in `body` (nested blocks included), if it has one. */
export function generatingPolicy(body: Statement[], name: string): GeneratePolicy | undefined {
  let found: GeneratePolicy | undefined;
  forEachStatement(body, (s) => {
    if (!found && s.kind === 'step' && s.name === name && s.generate) found = s.generate;
  });
  return found;
}
