import type { ValidationAcceptor } from 'langium';
import { GENERATE_KEYS, MAX_GENERATE_REPAIRS, MAX_GENERATED_STEPS } from '@baton/protocol';
import { IssueCodes } from './baton-issue-codes.js';
import { suggestion } from './baton-names.js';
import * as ast from './generated/ast.js';

/**
 * Checks of flows written by agents (docs/agents.md, "Flows written by agents"): a step calling an agent with
 * `output: flow` carries a `generate { … }` policy whose keys, values and limits are known; `step s: run x` names such
 * a step and gives inputs its policy's `input:` declares. Each diagnostic has a code from `IssueCodes` and the range of
 * the part that is wrong.
 */

/** The agent `step` calls writes a flow (`output: flow`). */
export function writesFlow(step: ast.Step): boolean {
  const agent = step.target?.ref;
  return ast.isAgentDecl(agent) && agent.properties.some((p) => ast.isOutputTypeProperty(p) && p.isFlow);
}

/** A step's `generate { … }` property, if it has one. */
export function generateOf(step: ast.Step | undefined): ast.GenerateProperty | undefined {
  return step?.properties.find(ast.isGenerateProperty);
}

/** `generate` only where the agent writes a flow, and a flow-writing agent only with `generate`; `run x` on a generating step. */
export function checkGenerateStep(step: ast.Step, accept: ValidationAcceptor): void {
  const policy = generateOf(step);
  if (step.generated) {
    const source = step.generated.ref;
    if (source && !generateOf(source)) {
      accept('error', `\`run ${source.name}\` runs the flow a step generated, but step \`${source.name}\` has no \`generate { … }\` policy (its agent needs \`output: flow\`)`, { node: step, property: 'generated', code: IssueCodes.RunNeedsGeneratingStep });
    }
    if (source) checkRunInputs(step, generateOf(source), accept);
    if (policy) accept('error', 'a `run` step runs a generated flow; only the step that calls the flow-writing agent takes `generate { … }`', { node: policy, property: 'key', code: IssueCodes.GenerateNeedsFlowAgent });
    return;
  }
  const agent = step.target?.ref;
  if (!ast.isAgentDecl(agent)) {
    if (policy) accept('error', `\`generate { … }\` belongs on a step whose agent writes a flow (\`output: flow\`); \`${step.target?.$refText}\` is a flow`, { node: policy, property: 'key', code: IssueCodes.GenerateNeedsFlowAgent });
    return;
  }
  if (writesFlow(step)) {
    if (!policy) accept('error', `agent \`${agent.name}\` writes a flow (\`output: flow\`): step \`${step.name}\` needs a \`generate { agents: […], flows: […], max_steps: N, repairs: N }\` policy saying what that flow may use`, { node: step, property: 'target', code: IssueCodes.GeneratePolicyMissing });
  } else if (policy) {
    accept('error', `\`generate { … }\` belongs on a step whose agent writes a flow; agent \`${agent.name}\` has no \`output: flow\``, { node: policy, property: 'key', code: IssueCodes.GenerateNeedsFlowAgent });
  }
}

/** Keys, values and limits of a `generate { … }` policy. */
export function checkGeneratePolicy(policy: ast.GenerateProperty, accept: ValidationAcceptor): void {
  const seen = new Set<string>();
  const keys = Object.keys(GENERATE_KEYS);
  for (const entry of policy.entries) {
    const kind = (GENERATE_KEYS as Record<string, string>)[entry.key];
    if (!kind) {
      accept('error', `\`generate\` has no key \`${entry.key}\` (it takes ${keys.join(', ')})${suggestion(entry.key, keys)}`, { node: entry, property: 'key', code: IssueCodes.GenerateUnknownKey });
      continue;
    }
    if (seen.has(entry.key)) accept('error', `\`${entry.key}\` is given twice in this \`generate\``, { node: entry, property: 'key', code: IssueCodes.GenerateUnknownKey });
    seen.add(entry.key);
    const given = entry.value ? 'number' : entry.type ? 'type' : 'list';
    if (given !== kind) {
      const wanted = kind === 'list' ? 'a list `[…]`' : kind === 'number' ? 'a number' : 'a record type `{ name: type, … }`';
      accept('error', `\`${entry.key}\` takes ${wanted}`, { node: entry, property: 'key', code: IssueCodes.GenerateInvalidValue });
      continue;
    }
    if (kind === 'number') checkLimit(entry, accept);
    else if (kind === 'type' && !ast.isRecordType(entry.type)) {
      accept('error', `\`${entry.key}\` takes a record type \`{ name: type, … }\`: the generated flow's ${entry.key}s`, { node: entry.type!, code: IssueCodes.GenerateInvalidValue });
    } else if (kind === 'list') checkItems(entry, accept);
  }
}

function checkLimit(entry: ast.GenerateEntry, accept: ValidationAcceptor): void {
  const n = entry.value!.value;
  const [low, high] = entry.key === 'max_steps' ? [1, MAX_GENERATED_STEPS] : entry.key === 'repairs' ? [0, MAX_GENERATE_REPAIRS] : [1, Number.MAX_SAFE_INTEGER];
  if (!Number.isInteger(n) || n < low || n > high) {
    const range = high === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${low}` : `a whole number from ${low} to ${high}`;
    accept('error', `\`${entry.key}: ${n}\` must be ${range}`, { node: entry.value!, code: IssueCodes.GenerateLimitOutOfRange });
  }
}

function checkItems(entry: ast.GenerateEntry, accept: ValidationAcceptor): void {
  for (const item of entry.items) {
    if (entry.key === 'tools') continue; // a tool is named by its model-facing name, or by the agent/flow it calls
    const target = item.ref?.ref;
    if (item.name !== undefined) {
      accept('error', `\`${entry.key}:\` names ${entry.key === 'agents' ? 'agents' : 'flows'} of the workspace, not strings: write ${item.name} without quotes`, { node: item, code: IssueCodes.GenerateInvalidValue });
    } else if (target && entry.key === 'agents' && !ast.isAgentDecl(target)) {
      accept('error', `\`${target.name}\` is a flow; list it in \`flows:\``, { node: item, code: IssueCodes.GenerateInvalidValue });
    } else if (target && entry.key === 'flows' && !ast.isFlowDecl(target)) {
      accept('error', `\`${target.name}\` is an agent; list it in \`agents:\``, { node: item, code: IssueCodes.GenerateInvalidValue });
    }
  }
}

/** `run x { input: { … } }`: with the policy's `input:` type, the record's keys are its fields, the required ones given. */
function checkRunInputs(step: ast.Step, policy: ast.GenerateProperty | undefined, accept: ValidationAcceptor): void {
  const declared = policy?.entries.find((e) => e.key === 'input')?.type;
  if (!ast.isRecordType(declared)) return;
  const inputProp = step.properties.find(ast.isInputProperty);
  if (inputProp && !ast.isRecordLiteral(inputProp.value)) return;
  const entries = inputProp ? (inputProp.value as ast.RecordLiteral).entries : [];
  const fields = declared.fields.filter((f) => f.name !== undefined);
  for (const e of entries) {
    if (e.key !== undefined && !fields.some((f) => f.name === e.key)) {
      accept('error', `the generated flow takes no input \`${e.key}\` (its policy's \`input:\` declares ${fields.map((f) => f.name).join(', ') || 'none'})${suggestion(e.key, fields.map((f) => f.name))}`, { node: e, property: 'key', code: IssueCodes.UnknownInput });
    }
  }
  const given = new Set(entries.map((e) => e.key));
  const missing = fields.filter((f) => !f.optional && !given.has(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    accept('error', `step \`${step.name}\` gives the generated flow no ${missing.map((m) => `\`${m}\``).join(', ')} (required by its policy's \`input:\`)`, { node: step, property: 'name', code: IssueCodes.MissingInput });
  }
}
