import type { ValidationAcceptor } from 'langium';
import { IssueCodes } from './baton-issue-codes.js';
import { didYouMean, suggestionText } from './baton-names.js';
import { testFlow } from './baton-scope-provider.js';
import { toolName } from './ir/baton-ir-tools.js';
import * as ast from './generated/ast.js';
import { someSubtreeNode } from './baton-ast-walk.js';

/**
 * Checks of `wait first { … }` (docs/language.md, "wait first"): a choice of no arm (`choice-without-arms`), of one arm (`choice-single-arm`, a warning:
 * a plain `wait` or `approval` says it), an arm that can never win because an earlier arm waits for the same thing
 * (`duplicate-arm`: the same event with no or the same `where`, a second `on timeout`, the same signal), and an
 * approval arm with a `timeout:` of its own (`choice-arm-timeout`: the choice's `on timeout D` arm is the deadline).
 * A signal arm no `signal s` raises is `unknown-signal` (baton-signal-checks.ts); names of one arm read in another,
 * or after the choice without a guard, are `step-in-sibling-branch` / `step-maybe-skipped` (baton-flow-checks.ts).
 * Every diagnostic has a code from `IssueCodes` and the range of the words at fault.
 */
export class BatonChoiceChecks {
  checkChoice = (wait: ast.WaitStatement, accept: ValidationAcceptor): void => {
    if (!wait.isFirst) return;
    if (wait.arms.length === 0) {
      accept('error', '`wait first` without an arm would wait for nothing forever: add `on event "x" { … }`, `on approval a { … }`, `on timeout 3d { … }` or `on signal s { … }`', { node: wait, property: 'isFirst', code: IssueCodes.ChoiceWithoutArms });
    }
    if (wait.arms.length === 1) {
      const [arm] = wait.arms;
      const instead = ast.isApprovalStatement(arm) ? 'an `approval`' : arm.isEvent ? '`wait event`' : arm.isSignal ? '`wait signal`' : 'a `wait`';
      accept('warning', `\`wait first\` with one arm chooses nothing: write ${instead} instead, or add the arms it races against`, { node: wait, property: 'isFirst', code: IssueCodes.ChoiceSingleArm });
    }
    const seen = new Map<string, number>();
    wait.arms.forEach((arm, i) => {
      const what = armIdentity(arm);
      if (!what) return;
      const earlier = seen.get(what.key);
      if (earlier === undefined) seen.set(what.key, i);
      else {
        accept('error', `this arm can never win: arm ${earlier + 1} of this \`wait first\` already waits for ${what.text}`, { node: arm as ast.WaitStatement, property: what.property, code: IssueCodes.DuplicateArm });
      }
    });
    for (const arm of wait.arms) {
      if (!ast.isApprovalStatement(arm)) continue;
      for (const p of arm.properties.filter(ast.isTimeoutProperty)) {
        accept('error', 'an arm of `wait first` has no `timeout:` of its own: add an `on timeout 2d { … }` arm to the choice', { node: p, code: IssueCodes.ChoiceArmTimeout });
      }
    }
  };
}

/**
 * A test's `decide a [after D]: "d"` lines: `a` must be an approval (or an `on approval` arm) of the tested flow
 * (`unknown-name`; a sub-flow's task key `step/approval` is not checked), and `d` one of its decisions — `approved`,
 * `rejected` or its `options` (`type-mismatch`): a decision the run would refuse is otherwise lost without a word.
 * `decide s.T: "d"` lines: see {@link checkToolDecision}.
 */
export function checkTestDecisions(test: ast.TestDecl, accept: ValidationAcceptor): void {
  const flow = testFlow(test);
  if (!flow) return;
  const approvals = new Map<string, ast.ApprovalStatement>();
  someSubtreeNode(flow, (node) => {
    if (ast.isApprovalStatement(node) && node.name) approvals.set(node.name, node);
  });
  for (const p of test.properties.filter(ast.isTestDecideProperty)) {
    if (p.tool !== undefined) {
      checkToolDecision(flow, p, accept);
      continue;
    }
    if (!p.approval || /[/[]/.test(p.approval)) continue;
    const approval = approvals.get(p.approval);
    if (!approval) {
      const names = [...approvals.keys()];
      accept('error', `flow ${flow.name} has no approval \`${p.approval}\`${names.length ? `; its approvals: ${names.join(', ')}` : ''}`, { node: p, property: 'approval', code: IssueCodes.UnknownName });
      continue;
    }
    const allowed = ['approved', 'rejected', ...(approval.properties.find(ast.isOptionsProperty)?.values ?? [])];
    if (p.decision !== undefined && !allowed.includes(p.decision)) {
      accept('error', `"${p.decision}" is not a decision of approval \`${p.approval}\`; use one of ${allowed.map((d) => `"${d}"`).join(', ')}`, { node: p, property: 'decision', code: IssueCodes.TypeMismatch });
    }
  }
}

/** What an arm waits for, as a key two arms that wait for the same thing share; undefined for an approval arm (each is its own task). */
function armIdentity(arm: ast.ChoiceArm): { key: string; text: string; property: 'event' | 'duration' | 'signal' } | undefined {
  if (ast.isApprovalStatement(arm)) return undefined;
  if (arm.isEvent) {
    const where = arm.correlation ? ` where ${arm.correlation.path.join('.')} == ${arm.correlation.value?.$cstNode?.text ?? ''}` : '';
    return { key: `event ${arm.event}${where}`, text: `event "${arm.event}"${where}`, property: 'event' };
  }
  if (arm.isSignal) return { key: `signal ${arm.signal}`, text: `signal ${arm.signal}`, property: 'signal' };
  // a second timer: the earlier deadline always comes first (or both at once: the first in the text wins)
  return { key: 'timeout', text: 'a timeout', property: 'duration' };
}

/**
 * A test's `decide s.T: "d"` line (a call of tool `T` in step `s`'s tool loop): `s` must be a step of the tested
 * flow (`unknown-name`), `T` a tool of its agent by the name the model calls it (`unknown-tool`, with a
 * did-you-mean), one with an `approval` (`tool-without-approval`: its calls never wait, the decision would be lost),
 * and `d` `approved` or `rejected` (`type-mismatch`).
 */
function checkToolDecision(flow: ast.FlowDecl, p: ast.TestDecideProperty, accept: ValidationAcceptor): void {
  const { steps, step, agent, entries, entry } = decidedTool(flow, p);
  if (!step) {
    const hint = didYouMean(p.approval, steps.keys());
    accept('error', `flow ${flow.name} has no step \`${p.approval}\`${hint ? suggestionText(hint) : steps.size ? `; its steps: ${[...steps.keys()].join(', ')}` : ''}`, { node: p, property: 'approval', code: IssueCodes.UnknownName });
    return;
  }
  if (!agent) {
    if (step.target?.ref || step.generated) accept('error', `step \`${step.name}\` runs a flow, not an agent with tools: there is no tool call to decide`, { node: p, property: 'tool', code: IssueCodes.UnknownTool });
    return;
  }
  if (!entry) {
    const hint = didYouMean(p.tool ?? '', entries.keys());
    const known = entries.size ? `; its tools: ${[...entries.keys()].join(', ')}` : '; it has no `tools`';
    accept('error', `agent \`${agent.name}\` (step \`${step.name}\`) has no tool \`${p.tool}\`${hint ? suggestionText(hint) : known}`, { node: p, property: 'tool', code: IssueCodes.UnknownTool });
    return;
  }
  if (!entry.properties.some((q) => ast.isToolApprovalProperty(q) && (q.value || q.assignee !== undefined))) {
    accept('error', `tool \`${p.tool}\` of agent \`${agent.name}\` has no \`approval\`: its calls never wait for a decision (add \`${p.tool} { approval: "…" }\` to its tools)`, { node: p, property: 'tool', code: IssueCodes.ToolWithoutApproval });
    return;
  }
  if (p.decision !== undefined && p.decision !== 'approved' && p.decision !== 'rejected') {
    accept('error', `"${p.decision}" is not a decision of a tool's approval; use "approved" or "rejected"`, { node: p, property: 'decision', code: IssueCodes.TypeMismatch });
  }
}

/**
 * What a test's `decide s.T` names in the tested `flow`: the flow's steps by name (the first of each name), step `s`,
 * the agent it calls (undefined when it runs a flow or does not resolve), that agent's tools by the name the model
 * calls them, and the entry `T`.
 */
export function decidedTool(flow: ast.FlowDecl, p: ast.TestDecideProperty): { steps: Map<string, ast.Step>; step?: ast.Step; agent?: ast.AgentDecl; entries: Map<string, ast.ToolEntry>; entry?: ast.ToolEntry } {
  const steps = new Map<string, ast.Step>();
  someSubtreeNode(flow, (node) => {
    if (ast.isStep(node) && node.name && !steps.has(node.name)) steps.set(node.name, node);
  });
  const step = steps.get(p.approval);
  const target = step?.target?.ref;
  const agent = ast.isAgentDecl(target) ? target : undefined;
  const entries = new Map<string, ast.ToolEntry>();
  for (const entry of agent?.properties.find(ast.isToolsProperty)?.tools ?? []) {
    const name = toolName(entry);
    if (name !== undefined && !entries.has(name)) entries.set(name, entry);
  }
  return { steps, step, agent, entries, entry: p.tool ? entries.get(p.tool) : undefined };
}
