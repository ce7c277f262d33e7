// The static part of a migration's proof (see migrate-run.ts): what the run finished still exists, by name and
// kind, in the new flow, and what it stored still fits the new types; the new flow's inputs are the run's.
import { checkValue, describeType, type FlowDef, type JsonValue, type RunEvent, type Statement, type WorkflowDefinition } from '@baton/protocol';
import { checkOutput } from '../agents/output-schema.js';
import { checkInputs } from '../engine/inputs.js';
import { BatonError } from '../errors.js';
import { statementName, type Alignment } from './align.js';
import type { MigrationProblem } from './problems.js';

/**
 * Checks the named statements behind the run's finished work (steps, approvals, named event waits, vars — any
 * statement whose id is name-based) against their aligned counterparts in `to`.
 * @param past the run's log as its current definition reads it (old ids).
 * @returns `step-missing` and `output-type-changed` problems.
 */
export function checkFinishedWork(past: RunEvent[], to: WorkflowDefinition, alignment: Alignment, newFlow: FlowDef): MigrationProblem[] {
  const problems: MigrationProblem[] = [];
  const seen = new Set<string>();
  const kindWord = (s: Statement): string => (s.kind === 'waitEvent' ? 'named event wait' : s.kind);
  for (const e of past) {
    const node = 'node' in e && typeof e.node === 'string' ? e.node : undefined;
    if (!node) continue;
    const finished = e.type === 'step.finished' || e.type === 'approval.decided' || (e.type === 'event.received' && !e.timedOut) || e.type === 'var.set';
    if (!finished) continue;
    const old = alignment.old.get(node);
    const flowName = node.slice(0, node.indexOf('/'));
    const name = old ? statementName(old, flowName) : undefined;
    if (!old || name === undefined) continue;
    const counterpart = alignment.matched.get(node);
    if (!counterpart) {
      if (seen.has(node)) continue;
      seen.add(node);
      const newFlowName = to.flows[flowName] ? flowName : newFlow.name;
      problems.push({
        code: 'step-missing',
        message: `the run finished ${kindWord(old)} ${name}, but flow ${newFlowName} has no ${kindWord(old)} named ${name}`,
        range: to.flows[newFlowName]?.range,
      });
      continue;
    }
    const problem = storedValueProblem(e, counterpart, to);
    if (problem) problems.push({ code: 'output-type-changed', message: problem, range: counterpart.range });
  }
  return problems;
}

/** Why a stored result no longer fits the new statement `s` (a step's output, an event's data, a decision), if it does not. */
function storedValueProblem(e: RunEvent, s: Statement, to: WorkflowDefinition): string | undefined {
  if (e.type === 'step.finished' && s.kind === 'step' && e.status === 'succeeded') {
    const output = e.output ?? null;
    if (s.target.kind === 'agent') {
      const agent = to.agents[s.target.name];
      const problem = agent ? checkOutput(agent, output) : undefined;
      return problem ? `the stored output of step ${e.step} no longer fits agent ${agent!.name}'s output: ${problem}` : undefined;
    }
    const flow = to.flows[s.target.name];
    if (!flow || output === null || typeof output !== 'object' || Array.isArray(output)) return undefined;
    for (const out of flow.outputs) {
      const value = (output as Record<string, JsonValue>)[out.name];
      const problem = value === undefined ? 'missing' : checkValue(value, out.type);
      if (problem) return `the stored output of step ${e.step} no longer fits flow ${flow.name}'s output ${out.name} (${describeType(out.type)}): ${problem}`;
    }
    return undefined;
  }
  if (e.type === 'event.received' && s.kind === 'waitEvent') {
    const type = to.events?.[s.event]?.data;
    const problem = type ? checkValue(e.data, type) : undefined;
    return problem ? `the stored data of event "${s.event}" (${e.key}) no longer fits its type ${describeType(type!)}: ${problem}` : undefined;
  }
  if (e.type === 'approval.decided' && s.kind === 'approval') {
    const allowed = ['approved', 'rejected', 'timeout', ...(s.options ?? [])];
    return allowed.includes(e.decision) ? undefined : `the stored decision "${e.decision}" of approval ${e.task} is not a decision of the new approval (${allowed.join(', ')})`;
  }
  if (e.type === 'var.set' && s.kind === 'var' && s.type) {
    const problem = checkValue(e.value, s.type);
    return problem ? `the stored value of var ${s.name} no longer fits its type ${describeType(s.type)}: ${problem}` : undefined;
  }
  return undefined;
}

/**
 * The run's inputs checked against the new flow's.
 * @returns the checked inputs (defaults of new inputs added), or `input-missing` / `input-type-changed` problems.
 */
export function checkRunInputs(flow: FlowDef, inputs: Record<string, JsonValue>): { inputs?: Record<string, JsonValue>; problems: MigrationProblem[] } {
  const problems: MigrationProblem[] = [];
  for (const input of flow.inputs) {
    const value = inputs[input.name];
    if (value === undefined) {
      if (input.default === undefined) problems.push({ code: 'input-missing', message: `flow ${flow.name} needs input "${input.name}" (${describeType(input.type)}), which the run was not started with`, range: input.range });
      continue;
    }
    const problem = checkValue(value, input.type);
    if (problem) problems.push({ code: 'input-type-changed', message: `the run's input "${input.name}" no longer fits its type ${describeType(input.type)}: ${problem}`, range: input.range });
  }
  if (problems.length) return { problems };
  // inputs the new flow no longer declares are dropped (nothing reads them)
  const kept = Object.fromEntries(Object.entries(inputs).filter(([name]) => flow.inputs.some((i) => i.name === name)));
  try {
    return { inputs: checkInputs(flow, kept), problems };
  } catch (error) {
    if (error instanceof BatonError) return { problems: [{ code: 'input-type-changed', message: error.message, range: flow.range }] };
    throw error;
  }
}
