import path from 'node:path';
import type { AstNode, LangiumDocument } from 'langium';
import type {
  ChoiceArm,
  JoinSpec,
  AgentDef,
  CompensationDef,
  EventDef,
  Expr,
  FlowDef,
  GeneratePolicy,
  JsonValue,
  RetryPolicy,
  SourceRange,
  Statement,
  StepNode,
  StubSpec,
  TestDef,
  TestDecisionDef,
  TestEventDef,
  Trigger,
  WorkflowDefinition,
} from '@baton/protocol';
import { DEFAULT_EVENT_BUFFER_MAX, DEFAULT_GENERATE_REPAIRS, DEFAULT_GENERATED_STEPS } from '@baton/protocol';
import * as ast from '../generated/ast.js';
import { parseDuration } from '../baton-value-converter.js';
import { docComment } from '../baton-doc-comments.js';
import { toTypeRef } from '../baton-types.js';
import { varType } from '../baton-type-system.js';
import { constantText, constantValue, expr, rangeOf, stubSpec } from './baton-ir-expressions.js';
import { toolDefs } from './baton-ir-tools.js';

/**
 * Compiles checked Langium documents into one plain-JSON {@link WorkflowDefinition}: the IR the runtime
 * runs and the graph draws.
 *
 * Node ids (stable for the same source structure, unique in a definition):
 * - a step, approval or named event wait (`wait event "x" as name`): `<Flow>/<name>` (names are unique in a
 *   flow; the checker reports duplicates);
 * - any other statement: `<Flow>/<kind>@<path>`, where `<path>` is the dot-joined indexes of the
 *   statement in its flow's body and the nested bodies above it (`Dispatcher/switch@3`,
 *   `Saga/if@4.1.0`); a branch body adds its branch index, so sibling branches never collide;
 * - an arm of `wait first { … }`: `<Flow>/<name>` when named (an approval arm, `on event "x" as name`), else
 *   `<Flow>/on@<path>` with the arm's index after the choice's path (its body's statements continue that path).
 *
 * Ranges are 1-based lines and columns, end exclusive, with `file` the document's file-system path.
 * Agent settings (`timeout`, `retry`, …) stay on the agent; a step carries only its own.
 */
export class BatonIrBuilder {
  /** Compiles `documents` (an entry document and everything it imports; order decides `files`). */
  build(documents: LangiumDocument[]): WorkflowDefinition {
    const definition: WorkflowDefinition = { version: 1, files: [], agents: {}, flows: {}, tests: [] };
    for (const document of documents) {
      definition.files.push(document.uri.fsPath);
      const root = document.parseResult.value as ast.Document;
      for (const element of root.elements) {
        if (ast.isAgentDecl(element)) definition.agents[element.name] = this.agent(element);
        else if (ast.isFlowDecl(element)) definition.flows[element.name] = this.flow(element);
        else if (ast.isEventDecl(element)) (definition.events ??= {})[element.name] ??= eventDef(element);
        else if (ast.isTestDecl(element)) {
          const test = this.test(element);
          if (test) definition.tests.push(test);
        }
      }
    }
    return definition;
  }

  // -------------------------------------------------------------------------------------------------------
  // Declarations
  // -------------------------------------------------------------------------------------------------------

  private agent(node: ast.AgentDecl): AgentDef {
    const agent: AgentDef = { name: node.name, range: rangeOf(node) };
    setDoc(agent, node);
    let stub: ast.Expression | undefined;
    for (const p of node.properties) {
      switch (p.$type) {
        case 'ModelProperty':
          agent.model = p.value;
          break;
        case 'InstructionsProperty':
          agent.instructions = constantText(p.value);
          break;
        case 'OutputTypeProperty':
          if (p.isFlow) agent.writesFlow = true;
          agent.output = p.isFlow ? { kind: 'string' } : toTypeRef(p.type);
          break;
        case 'StubProperty':
          stub = p.value;
          break;
        case 'IdempotentProperty':
          agent.idempotent = p.value;
          break;
        case 'CircuitProperty': {
          const openMs = durationMs(p.open);
          if (p.failures && openMs !== undefined) agent.circuit = { failures: p.failures.value, openMs };
          break;
        }
        case 'ToolsProperty':
          agent.tools = toolDefs(p);
          break;
        case 'MaxTurnsProperty':
          agent.maxTurns = p.value.value;
          break;
        default:
          this.setting(agent, p);
      }
    }
    if (stub) agent.stub = stubSpec(stub, agent.output?.kind === 'list');
    return agent;
  }

  private setting(target: { temperature?: number; maxTokens?: number; timeoutMs?: number; retry?: RetryPolicy }, p: ast.SettingProperty): void {
    switch (p.$type) {
      case 'TemperatureProperty':
        target.temperature = p.value.value;
        break;
      case 'MaxTokensProperty':
        target.maxTokens = p.value.value;
        break;
      case 'TimeoutProperty':
        setIfDefined(target, 'timeoutMs', durationMs(p.value));
        break;
      case 'RetryProperty': {
        const retry: RetryPolicy = { max: p.count.value };
        setIfDefined(retry, 'backoffMs', p.backoff ? durationMs(p.backoff) : undefined);
        setIfDefined(retry, 'maxDelayMs', p.maxDelay ? durationMs(p.maxDelay) : undefined);
        target.retry = retry;
        break;
      }
    }
  }

  private flow(node: ast.FlowDecl): FlowDef {
    const flow: FlowDef = { name: node.name, inputs: [], outputs: [], triggers: [], body: [], range: rangeOf(node) };
    setDoc(flow, node);
    for (const m of node.members) {
      switch (m.$type) {
        case 'InputDecl': {
          const input: FlowDef['inputs'][number] = { name: m.name, type: toTypeRef(m.type), range: rangeOf(m) };
          if (m.default) input.default = constantValue(m.default);
          flow.inputs.push(input);
          break;
        }
        case 'OutputDecl':
          flow.outputs.push({ name: m.name, type: toTypeRef(m.type), range: rangeOf(m) });
          break;
        case 'Trigger':
          flow.triggers.push(trigger(m));
          break;
        case 'BudgetDecl':
          flow.budgetTokens = m.limit.value;
          break;
        case 'SlaDecl':
          // the first one counts (a second is a duplicate-property error)
          if (flow.slaMs === undefined) setIfDefined(flow, 'slaMs', durationMs(m.duration));
          break;
      }
    }
    flow.body = this.statements(node.body, node.name, '');
    return flow;
  }

  private test(node: ast.TestDecl): TestDef | undefined {
    let flow: string | undefined;
    let input: JsonValue = {};
    let expect: Expr = { kind: 'literal', value: true };
    const stubs: Record<string, StubSpec> = {};
    let cassette: string | undefined;
    const events: TestEventDef[] = [];
    const decisions: TestDecisionDef[] = [];
    for (const p of node.properties) {
      switch (p.$type) {
        case 'TestCassetteProperty':
          // relative to the file that declares the test
          cassette = path.resolve(path.dirname(rangeOf(node).file), p.path);
          break;
        case 'TestFlowProperty':
          flow = p.flow?.ref?.name ?? p.flow?.$refText ?? '';
          break;
        case 'TestInputProperty':
          input = constantValue(p.value);
          break;
        case 'TestStubProperty': {
          const agent = p.agent?.ref;
          const name = agent?.name ?? p.agent?.$refText ?? '';
          const listOutput = agent?.properties.some((q) => ast.isOutputTypeProperty(q) && toTypeRef(q.type).kind === 'list') ?? false;
          stubs[name] = stubSpec(p.value, listOutput);
          break;
        }
        case 'TestExpectProperty':
          expect = expr(p.condition);
          break;
        case 'TestEventProperty': {
          const sent: TestEventDef = { event: p.event ?? '', data: constantValue(p.value), range: rangeOf(p) };
          setIfDefined(sent, 'afterMs', p.after ? durationMs(p.after) : undefined);
          events.push(sent);
          break;
        }
        case 'TestDecideProperty': {
          const decided: TestDecisionDef = { approval: p.approval ?? '', decision: p.decision ?? '', range: rangeOf(p) };
          setIfDefined(decided, 'tool', p.tool);
          setIfDefined(decided, 'afterMs', p.after ? durationMs(p.after) : undefined);
          decisions.push(decided);
          break;
        }
      }
    }
    if (flow === undefined) return undefined;
    const test: TestDef = { name: node.name, flow, input, stubs, expect, range: rangeOf(node) };
    if (cassette !== undefined) test.cassette = cassette;
    if (events.length) test.events = events;
    if (decisions.length) test.decisions = decisions;
    return test;
  }

  // -------------------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------------------

  private statements(nodes: (ast.Statement | ast.BranchBlock)[], flow: string, path: string): Statement[] {
    return nodes.map((n, i) => this.statement(n, flow, path === '' ? `${i}` : `${path}.${i}`));
  }

  private statement(node: ast.Statement | ast.BranchBlock, flow: string, path: string): Statement {
    const range = rangeOf(node);
    const id = (kind: string): string => `${flow}/${kind}@${path}`;
    const base = <T extends { range: SourceRange; doc?: string }>(s: T): T => setDoc(s, node);
    switch (node.$type) {
      case 'Step':
        return base(this.step(node, flow, range));
      case 'IfStatement': {
        const branches: { condition: Expr; body: Statement[]; range: SourceRange }[] = [];
        let current: ast.IfStatement | undefined = node;
        let elseBody: Statement[] | undefined;
        let index = 0;
        while (current) {
          branches.push({ condition: expr(current.condition), body: this.statements(current.body, flow, `${path}.${index}`), range: rangeOf(current) });
          index++;
          if (current.elseIf) current = current.elseIf;
          else {
            if (current.hasElse) elseBody = this.statements(current.elseBody, flow, `${path}.${index}`);
            current = undefined;
          }
        }
        const ifNode: Statement = { kind: 'if', id: id('if'), range, branches };
        if (elseBody) ifNode.else = elseBody;
        return base(ifNode);
      }
      case 'SwitchStatement': {
        const sw: Statement = {
          kind: 'switch',
          id: id('switch'),
          range,
          subject: expr(node.subject),
          cases: node.cases.map((c, i) => ({ values: c.values.map(expr), body: this.statements(c.body, flow, `${path}.${i}`), range: rangeOf(c) })),
        };
        if (node.hasDefault) sw.default = this.statements(node.defaultBody, flow, `${path}.${node.cases.length}`);
        return base(sw);
      }
      case 'ParallelStatement': {
        const parallel: Statement = { kind: 'parallel', id: id('parallel'), range, branches: this.statements(node.branches, flow, path) };
        if (node.concurrency) parallel.concurrency = node.concurrency.value;
        if (node.join) parallel.join = joinSpec(node.join);
        return base(parallel);
      }
      case 'BranchBlock':
        return base({ kind: 'block', id: id('block'), range, body: this.statements(node.body, flow, path) });
      case 'ForeachStatement': {
        const loop: Statement = {
          kind: 'foreach',
          id: id('foreach'),
          range,
          variable: node.variable.name,
          body: this.statements(node.body, flow, path),
        };
        if (node.source) {
          // an event loop: its instances come from the event's deliveries while it is open
          loop.source = { event: node.source.event };
          if (node.source.correlation) loop.source.where = { path: [...node.source.correlation.path], value: expr(node.source.correlation.value) };
          const end = node.source.end;
          if (end) {
            loop.source.end = { event: end.event };
            if (end.correlation) loop.source.end.where = { path: [...end.correlation.path], value: expr(end.correlation.value) };
          }
          if (node.source.timeout) setIfDefined(loop.source, 'timeoutMs', durationMs(node.source.timeout));
        } else loop.items = expr(node.items!);
        if (node.concurrency) loop.concurrency = node.concurrency.value;
        if (node.join) loop.join = joinSpec(node.join);
        return base(loop);
      }
      case 'RepeatStatement':
        return base({
          kind: 'repeat',
          id: id('repeat'),
          range,
          max: node.max?.value ?? 1,
          body: this.statements(node.body, flow, path),
          until: expr(node.until),
        });
      case 'ApprovalStatement': {
        const approval: Statement = { kind: 'approval', id: `${flow}/${node.name}`, range, name: node.name };
        for (const p of node.properties) {
          if (p.$type === 'PromptProperty') approval.prompt = expr(p.value);
          else if (p.$type === 'AssigneeProperty') approval.assignee = expr(p.value);
          else if (p.$type === 'TimeoutProperty') setIfDefined(approval, 'timeoutMs', durationMs(p.value));
          else if (p.$type === 'SlaProperty') setIfDefined(approval, 'slaMs', durationMs(p.value));
          else if (p.$type === 'OptionsProperty') approval.options = [...p.values];
        }
        if (node.timeoutBranch) approval.onTimeout = this.statements(node.timeoutBranch.body, flow, `${path}.0`);
        return base(approval);
      }
      case 'SignalStatement':
        return base({ kind: 'signal', id: id('signal'), range, name: node.name });
      case 'WaitStatement':
        if (node.isFirst) return base({ kind: 'choice', id: id('choice'), range, arms: node.arms.map((arm, i) => this.choiceArm(arm, flow, `${path}.${i}`)) });
        if (node.isSignal) {
          const wait: Statement = { kind: 'waitSignal', id: id('wait'), range, signal: node.signal ?? '' };
          if (node.timeout) setIfDefined(wait, 'timeoutMs', durationMs(node.timeout));
          if (node.timeoutBranch) wait.onTimeout = this.statements(node.timeoutBranch.body, flow, `${path}.0`);
          return base(wait);
        }
        if (node.isUntil) {
          const wait: Statement = { kind: 'waitUntil', id: id('wait'), range, condition: expr(node.condition!) };
          if (node.timeout) setIfDefined(wait, 'timeoutMs', durationMs(node.timeout));
          if (node.timeoutBranch) wait.onTimeout = this.statements(node.timeoutBranch.body, flow, `${path}.0`);
          return base(wait);
        }
        if (node.isEvent) {
          const wait: Statement = { kind: 'waitEvent', id: node.name ? `${flow}/${node.name}` : id('wait'), range, event: node.event ?? '' };
          if (node.name) wait.name = node.name;
          if (node.correlation) wait.where = { path: [...node.correlation.path], value: expr(node.correlation.value) };
          if (node.timeout) setIfDefined(wait, 'timeoutMs', durationMs(node.timeout));
          if (node.timeoutBranch) wait.onTimeout = this.statements(node.timeoutBranch.body, flow, `${path}.0`);
          return base(wait);
        }
        return base({ kind: 'wait', id: id('wait'), range, durationMs: node.duration ? durationMs(node.duration) ?? 0 : 0 });
      case 'SetStatement':
        if (!node.output) return base({ kind: 'assign', id: id('set'), range, name: node.variable?.ref?.name ?? node.variable?.$refText ?? '', value: expr(node.value) });
        return base({ kind: 'set', id: id('set'), range, output: node.output.ref?.name ?? node.output.$refText, value: expr(node.value) });
      case 'VarStatement':
        return base({ kind: 'var', id: `${flow}/${node.name}`, range, name: node.name, type: varType(node), value: expr(node.value) });
      case 'LetStatement':
        return base({ kind: 'let', id: id('let'), range, name: node.name, value: expr(node.value) });
      case 'FailStatement':
        return base({ kind: 'fail', id: id('fail'), range, message: expr(node.message) });
      case 'LockStatement': {
        const lock: Statement = { kind: 'lock', id: id('lock'), range, name: expr(node.name), body: this.statements(node.body, flow, `${path}.0`) };
        if (node.timeout) setIfDefined(lock, 'timeoutMs', durationMs(node.timeout));
        if (node.timeoutBranch) lock.onTimeout = this.statements(node.timeoutBranch.body, flow, `${path}.1`);
        return base(lock);
      }
      case 'RegionStatement': {
        const region: Statement = { kind: 'region', id: `${flow}/${node.name}`, range, name: node.name, body: this.statements(node.body, flow, `${path}.0`) };
        if (node.cancelBranch) region.onCancel = this.statements(node.cancelBranch.body, flow, `${path}.1`);
        return base(region);
      }
      case 'CancelStatement': {
        const target = node.target.ref;
        return base({ kind: 'cancel', id: id('cancel'), range, target: target?.name ?? node.target.$refText, targetKind: ast.isStep(target) ? 'step' : 'region' });
      }
      case 'CompleteStatement': {
        const complete: Statement = { kind: 'complete', id: id('complete'), range };
        if (node.target) complete.target = node.target.ref?.name ?? node.target.$refText;
        return base(complete);
      }
    }
  }

  /** One arm of `wait first { … }` (see `ChoiceArm` in protocol): its body's path is the arm's. */
  private choiceArm(node: ast.ChoiceArm, flow: string, path: string): ChoiceArm {
    const range = rangeOf(node);
    const body = this.statements(node.body, flow, path);
    const unnamed = `${flow}/on@${path}`;
    if (ast.isApprovalStatement(node)) {
      const arm: ChoiceArm = { kind: 'approval', id: `${flow}/${node.name}`, name: node.name, body, range };
      for (const p of node.properties) {
        if (p.$type === 'PromptProperty') arm.prompt = expr(p.value);
        else if (p.$type === 'AssigneeProperty') arm.assignee = expr(p.value);
        else if (p.$type === 'SlaProperty') setIfDefined(arm, 'slaMs', durationMs(p.value));
        else if (p.$type === 'OptionsProperty') arm.options = [...p.values];
      }
      return arm;
    }
    if (node.isEvent) {
      const arm: ChoiceArm = { kind: 'event', id: node.name ? `${flow}/${node.name}` : unnamed, event: node.event ?? '', body, range };
      if (node.name) arm.name = node.name;
      if (node.correlation) arm.where = { path: [...node.correlation.path], value: expr(node.correlation.value) };
      return arm;
    }
    if (node.isSignal) return { kind: 'signal', id: unnamed, signal: node.signal ?? '', body, range };
    return { kind: 'timer', id: unnamed, durationMs: node.duration ? durationMs(node.duration) ?? 0 : 0, body, range };
  }

  private step(node: ast.Step, flow: string, range: SourceRange): StepNode {
    const target = node.target?.ref;
    const step: StepNode = {
      kind: 'step',
      id: `${flow}/${node.name}`,
      range,
      name: node.name,
      target: node.generated
        ? { kind: 'generated', name: node.generated.ref?.name ?? node.generated.$refText }
        : ast.isFlowDecl(target) ? { kind: 'flow', name: target.name } : { kind: 'agent', name: target?.name ?? node.target?.$refText ?? '' },
      onError: 'fail',
    };
    for (const p of node.properties) {
      switch (p.$type) {
        case 'PromptProperty':
          step.prompt = expr(p.value);
          break;
        case 'InputProperty':
          step.input = expr(p.value);
          break;
        case 'WhenProperty':
          step.when = expr(p.condition);
          break;
        case 'OnErrorProperty':
          step.onError = p.action === 'continue' ? 'continue' : 'fail';
          break;
        case 'CompensateProperty': {
          const comp: CompensationDef = { agent: p.agent?.ref?.name ?? p.agent?.$refText ?? '', range: rangeOf(p) };
          for (const q of p.properties) {
            if (q.$type === 'PromptProperty') comp.prompt = expr(q.value);
            else comp.input = expr(q.value);
          }
          step.compensate = comp;
          break;
        }
        case 'GenerateProperty':
          step.generate = generatePolicy(p);
          break;
        default:
          this.setting(step, p);
      }
    }
    return step;
  }
}

/** `generate { … }` as the IR's policy (a key given twice: the last wins; the checker reports the duplicate). */
function generatePolicy(node: ast.GenerateProperty): GeneratePolicy {
  const policy: GeneratePolicy = { agents: [], flows: [], tools: [], maxSteps: DEFAULT_GENERATED_STEPS, repairs: DEFAULT_GENERATE_REPAIRS, range: rangeOf(node) };
  for (const e of node.entries) {
    const names = e.items.map((i) => i.name ?? i.ref?.ref?.name ?? i.ref?.$refText ?? '');
    switch (e.key) {
      case 'agents':
        policy.agents = names;
        break;
      case 'flows':
        policy.flows = names;
        break;
      case 'tools':
        policy.tools = names;
        break;
      case 'max_steps':
        if (e.value) policy.maxSteps = e.value.value;
        break;
      case 'budget_tokens':
        if (e.value) policy.budgetTokens = e.value.value;
        break;
      case 'repairs':
        if (e.value) policy.repairs = e.value.value;
        break;
      case 'input':
        if (e.type) policy.input = toTypeRef(e.type);
        break;
      case 'output':
        if (e.type) policy.output = toTypeRef(e.type);
        break;
    }
  }
  return policy;
}

/** `first [N] [where …] [keep]` / `until … [keep]` as the IR's JoinSpec (`first` alone is `first 1`). */
function joinSpec(node: ast.JoinClause): JoinSpec {
  const rest = node.keep ? 'keep' : 'cancel';
  // (a half-written `until` without its condition never holds)
  if (node.isUntil) return { kind: 'until', condition: node.until ? expr(node.until) : { kind: 'literal', value: false }, rest };
  const spec: JoinSpec = { kind: 'first', count: node.count?.value ?? 1, rest };
  if (node.where) spec.where = expr(node.where);
  return spec;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function trigger(node: ast.Trigger): Trigger {
  const range = rangeOf(node);
  switch (node.kind) {
    case 'webhook':
      return { kind: 'webhook', path: node.value, range };
    case 'schedule':
      return { kind: 'schedule', cron: node.value, range };
    default:
      return { kind: 'event', event: node.value, range };
  }
}

/** An `event "…" { … }` declaration as IR (the first of a name wins; the checker reports the others). */
function eventDef(node: ast.EventDecl): EventDef {
  const event: EventDef = { name: node.name, range: rangeOf(node) };
  setDoc(event, node);
  for (const p of node.properties) {
    if (ast.isEventDataProperty(p)) event.data = toTypeRef(p.type);
    else if (p.none) event.buffer = { transient: true };
    else {
      const ms = p.duration ? durationMs(p.duration) : undefined;
      if (ms !== undefined) event.buffer = { ms, max: p.max?.value ?? DEFAULT_EVENT_BUFFER_MAX };
    }
  }
  return event;
}

function durationMs(node: ast.DurationValue): number | undefined {
  return typeof node.value === 'number' ? undefined : parseDuration(node.value);
}

function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function setDoc<T extends { doc?: string }>(target: T, node: AstNode): T {
  const doc = docComment(node);
  if (doc) target.doc = doc;
  return target;
}

/** Compiles documents to a definition with a fresh builder (for callers without the services). */
export function compileWorkflow(documents: LangiumDocument[]): WorkflowDefinition {
  return new BatonIrBuilder().build(documents);
}
