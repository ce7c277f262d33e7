import type { AstNode, LangiumDocuments, ValidationAcceptor, ValidationChecks } from 'langium';
import { AstUtils } from 'langium';
import { Cron } from 'croner';
import { BUILTIN_FUNCTIONS, BUILTIN_FUNCTIONS_BY_NAME, checkValue, describeType } from '@baton/protocol';
import type { BatonServices } from './baton-module.js';
import { IssueCodes } from './baton-issue-codes.js';
import { importTarget, visibleDocuments } from './baton-imports.js';
import { suggestion } from './baton-names.js';
import { toTypeRef } from './baton-types.js';
import { parseDuration } from './baton-value-converter.js';
import { constantValue, isConstant, isStubError, isStubScript } from './ir/baton-ir-expressions.js';
import { BatonFlowChecks } from './baton-flow-checks.js';
import { eventDataType, findEventDecl } from './baton-event-types.js';
import { checkRecursionProgress } from './baton-recursion-progress.js';
import { checkTestDecisions } from './baton-choice-checks.js';
import { checkGeneratePolicy, checkGenerateStep } from './baton-generate-checks.js';
import * as ast from './generated/ast.js';
import { someSubtreeNode } from './baton-ast-walk.js';
import { BatonValidationRegistry } from './baton-validation-registry.js';
import { markReusableChecks } from './baton-validation-reuse.js';
import { checkNestingDepth } from './baton-nesting-check.js';

const PROVIDERS = ['openai', 'anthropic', 'ollama', 'http', 'command'];

/** Registers the Baton checks with Langium's validation registry. */
export function registerValidationChecks(services: BatonServices): void {
  const validator = services.validation.BatonValidator;
  const flowChecks = services.validation.BatonFlowChecks;
  const joinChecks = services.validation.BatonJoinChecks;
  const eventChecks = services.validation.BatonEventChecks;
  const lockChecks = services.validation.BatonLockChecks;
  const signalChecks = services.validation.BatonSignalChecks;
  const choiceChecks = services.validation.BatonChoiceChecks;
  const regionChecks = services.validation.BatonRegionChecks;
  const slaChecks = services.validation.BatonSlaChecks;
  const toolChecks = services.validation.BatonToolChecks;
  const checks: ValidationChecks<ast.BatonAstType> = {
    Document: [checkNestingDepth, validator.checkDocumentImports, validator.checkDocumentDuplicateDeclarations],
    AgentDecl: [validator.checkAgentModelOrStub, validator.checkAgentStub, validator.checkDuplicateProperties, validator.checkAgentUsed, validator.checkAgentRetryIdempotent, toolChecks.checkAgentTools],
    FlowDecl: [signalChecks.checkFlowSignals, validator.checkFlowMembers, validator.checkFlowRecursion, validator.checkRecursionProgress, flowChecks.checkFlow, slaChecks.checkFlowSla],
    Step: [validator.checkDuplicateProperties, validator.checkStepSubflowInputs, validator.checkStepRetryIdempotent, checkGenerateStep],
    GenerateProperty: [checkGeneratePolicy],
    ApprovalStatement: [validator.checkDuplicateProperties, eventChecks.checkApprovalTimeoutBranch, slaChecks.checkApprovalSla],
    SlaDecl: [slaChecks.checkSla],
    SlaProperty: [slaChecks.checkSla],
    EventDecl: [eventChecks.checkEventDecl],
    WaitStatement: [eventChecks.checkWaitEvent, choiceChecks.checkChoice],
    LockStatement: [lockChecks.checkLockStatement],
    CancelStatement: [regionChecks.checkCancelTarget],
    CompleteStatement: [regionChecks.checkCancelTarget],
    TestDecl: [validator.checkTest, validator.checkDuplicateProperties, flowChecks.checkTestNames, checkTestDecisions],
    DurationValue: [validator.checkDuration],
    DurationLiteral: [validator.checkDurationLiteral],
    Trigger: [validator.checkTrigger],
    RetryProperty: [validator.checkRetry],
    CircuitProperty: [validator.checkCircuit],
    TemperatureProperty: [validator.checkTemperature],
    MaxTokensProperty: [validator.checkMaxTokens],
    BudgetDecl: [validator.checkBudget],
    ForeachStatement: [validator.checkConcurrency, joinChecks.checkJoin, eventChecks.checkEventLoop],
    ParallelStatement: [validator.checkConcurrency, joinChecks.checkJoin],
    RepeatStatement: [validator.checkRepeatMax],
    FunctionCall: [validator.checkFunctionCall, joinChecks.checkRangeCall, joinChecks.checkEstimateCall, toolChecks.checkStubScript],
    MaxTurnsProperty: [toolChecks.checkMaxTurns],
    InputDecl: [validator.checkInputDefault],
  };
  const registry = services.validation.ValidationRegistry;
  registry.register(checks, validator);
  if (registry instanceof BatonValidationRegistry) markReusableChecks(registry, services);
}

/**
 * Declaration-level checks of the Baton checker (spec section 4): imports, duplicates, agents, settings,
 * durations, triggers, functions, sub-flow calls and tests. Flow-body checks (order of execution, types
 * of expressions) are in {@link BatonFlowChecks}. Every diagnostic has a code from `IssueCodes`.
 */
export class BatonValidator {
  constructor(private readonly services: BatonServices) {}

  // ------------------------------------------------------------------ imports and duplicates

  checkDocumentImports = (doc: ast.Document, accept: ValidationAcceptor): void => {
    const document = AstUtils.getDocument(doc);
    const documents = this.services.shared.workspace.LangiumDocuments;
    const root = this.services.baton.WorkspaceRoot;
    for (const imp of doc.imports) {
      if (!imp.path) continue;
      const target = importTarget(document, imp.path);
      if (!root.contains(target.fsPath)) {
        accept('error', `import "${imp.path}" leaves the workspace folder${root.root ? ` (${root.root})` : ''}`, { node: imp, property: 'path', code: IssueCodes.ImportOutsideWorkspace });
        continue;
      }
      if (!documents.hasDocument(target)) {
        accept('error', `import "${imp.path}" does not exist (looked for ${target.fsPath})`, { node: imp, property: 'path', code: IssueCodes.ImportNotFound });
        continue;
      }
      const cycle = findCycle(document.uri.toString(), target.toString(), documents);
      if (cycle) {
        accept('error', `import "${imp.path}" forms a cycle: ${cycle.map(shortName).join(' → ')}`, { node: imp, property: 'path', code: IssueCodes.ImportCycle });
      }
    }
  };

  checkDocumentDuplicateDeclarations = (doc: ast.Document, accept: ValidationAcceptor): void => {
    const document = AstUtils.getDocument(doc);
    const seen = new Map<string, string>();
    for (const other of visibleDocuments(document, this.services.shared.workspace.LangiumDocuments)) {
      if (other === document) continue;
      for (const el of (other.parseResult.value as ast.Document).elements) {
        if (!ast.isTestDecl(el) && !ast.isEventDecl(el) && el.name) seen.set(el.name, shortName(other.uri.toString()));
      }
    }
    const local = new Set<string>();
    const tests = new Set<string>();
    for (const el of doc.elements) {
      if (ast.isTestDecl(el)) {
        if (tests.has(el.name)) accept('error', `duplicate test name "${el.name}"`, { node: el, property: 'name', code: IssueCodes.DuplicateName });
        tests.add(el.name);
        continue;
      }
      if (!el.name || ast.isEventDecl(el)) continue; // events have their own names (BatonEventChecks)
      if (local.has(el.name)) accept('error', `duplicate name \`${el.name}\`: it is already declared in this file`, { node: el, property: 'name', code: IssueCodes.DuplicateName });
      else if (seen.has(el.name)) accept('error', `duplicate name \`${el.name}\`: it is already declared in ${seen.get(el.name)}`, { node: el, property: 'name', code: IssueCodes.DuplicateName });
      local.add(el.name);
    }
  };

  checkDuplicateProperties = (node: ast.AgentDecl | ast.Step | ast.ApprovalStatement | ast.TestDecl, accept: ValidationAcceptor): void => {
    const seen = new Set<string>();
    for (const p of node.properties as { key: string; $type: string }[]) {
      const key = ast.isTestStubProperty(p as AstNode)
        ? `stub ${(p as ast.TestStubProperty).agent?.$refText}`
        : ast.isTestEventProperty(p as AstNode)
          ? `event "${(p as ast.TestEventProperty).event}" after ${(p as ast.TestEventProperty).after?.value ?? '-'}` // several deliveries of one event are fine
          : ast.isTestDecideProperty(p as AstNode)
            ? decideKey(p as ast.TestDecideProperty)
            : p.key;
      if (seen.has(key)) accept('error', `\`${key}\` is given twice in this block`, { node: p as AstNode, property: 'key', code: IssueCodes.DuplicateProperty });
      seen.add(key);
    }
  };

  // ------------------------------------------------------------------ agents

  checkAgentModelOrStub = (agent: ast.AgentDecl, accept: ValidationAcceptor): void => {
    const model = agent.properties.find(ast.isModelProperty);
    const stub = agent.properties.find(ast.isStubProperty);
    const output = agent.properties.find(ast.isOutputTypeProperty);
    if (!model && !stub) {
      accept('error', `agent \`${agent.name}\` needs a \`model\` (a real agent) or a \`stub\` (an offline one)`, { node: agent, property: 'name', code: IssueCodes.AgentWithoutModel });
    }
    if (model?.value) {
      const [provider, name] = model.value.split('/', 2);
      if (!name || !PROVIDERS.includes(provider)) {
        accept('error', `model "${model.value}" must be written provider/model with a provider among ${PROVIDERS.join(', ')}`, { node: model, property: 'value', code: IssueCodes.UnknownProvider });
      }
    }
    if (!stub && !output) {
      accept('warning', `agent \`${agent.name}\` has no \`stub\` and no \`output\` type, so stub mode can only return placeholder text`, { node: agent, property: 'name', code: IssueCodes.AgentWithoutStub });
    }
  };

  checkAgentStub = (agent: ast.AgentDecl, accept: ValidationAcceptor): void => {
    const stub = agent.properties.find(ast.isStubProperty);
    if (!stub) return;
    const outputProp = agent.properties.find(ast.isOutputTypeProperty);
    this.checkStubValue(stub.value, outputProp ? toTypeRef(outputProp.type) : undefined, accept);
  };

  private checkStubValue(value: ast.Expression | undefined, outputType: ReturnType<typeof toTypeRef> | undefined, accept: ValidationAcceptor): void {
    if (!value) return;
    const perCall = ast.isListLiteral(value) && outputType?.kind !== 'list';
    const items = perCall ? (value as ast.ListLiteral).items : [value];
    for (const item of items) {
      if (isStubError(item)) continue;
      if (!isConstant(item)) {
        accept('error', 'a stub value must be a constant (text, numbers, booleans, null, lists and records) or error("message")', { node: item, code: IssueCodes.NotConstant });
        continue;
      }
      // a tool-loop script: its last argument is the final output (the tool checks read its calls)
      const script = item as ast.Expression; // (isStubError narrowed calls away)
      const final = ast.isFunctionCall(script) && script.function === 'turns' ? script.args[script.args.length - 1] : item;
      if (outputType && final && !(ast.isFunctionCall(final) && isStubScript(final))) {
        const problem = checkValue(constantValue(final), outputType);
        if (problem) accept('error', `this stub value does not fit the agent's output type ${describeType(outputType)}: ${problem}`, { node: final, code: IssueCodes.TypeMismatch });
      }
    }
  }

  checkAgentUsed = (agent: ast.AgentDecl, accept: ValidationAcceptor): void => {
    if (this.isDuplicate(agent)) return; // reported as a duplicate name; its uses link to the first one
    for (const doc of this.services.shared.workspace.LangiumDocuments.all) {
      const used = someSubtreeNode(
        doc.parseResult.value,
        (node) =>
          (ast.isStep(node) && node.target?.ref === agent) ||
          (ast.isCompensateProperty(node) && node.agent?.ref === agent) ||
          (ast.isTestStubProperty(node) && node.agent?.ref === agent) ||
          (ast.isToolEntry(node) && node.target?.ref === agent) || // a tool of another agent
          (ast.isGenerateItem(node) && node.ref?.ref === agent), // an agent a written flow may call
      );
      if (used) return;
    }
    accept('warning', `agent \`${agent.name}\` is never used by a step`, { node: agent, property: 'name', code: IssueCodes.UnusedAgent });
  };

  /** Whether another declaration of the same name comes first (in this file or one it imports). */
  private isDuplicate(decl: ast.AgentDecl): boolean {
    const root = decl.$container;
    const index = root.elements.indexOf(decl);
    if (root.elements.some((el, i) => i < index && !ast.isTestDecl(el) && !ast.isEventDecl(el) && el.name === decl.name)) return true;
    const document = AstUtils.getDocument(decl);
    return visibleDocuments(document, this.services.shared.workspace.LangiumDocuments).some(
      (other) => other !== document && (other.parseResult.value as ast.Document).elements.some((el) => !ast.isTestDecl(el) && !ast.isEventDecl(el) && el.name === decl.name),
    );
  }

  // ------------------------------------------------------------------ flows and steps

  checkFlowMembers = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => {
    const inputs = new Set<string>();
    const outputs = new Set<string>();
    for (const m of flow.members) {
      if (ast.isInputDecl(m)) {
        if (inputs.has(m.name)) accept('error', `duplicate input \`${m.name}\``, { node: m, property: 'name', code: IssueCodes.DuplicateName });
        inputs.add(m.name);
      } else if (ast.isOutputDecl(m)) {
        if (outputs.has(m.name)) accept('error', `duplicate output \`${m.name}\``, { node: m, property: 'name', code: IssueCodes.DuplicateName });
        outputs.add(m.name);
      }
    }
    const budgets = flow.members.filter(ast.isBudgetDecl);
    if (budgets.length > 1) accept('error', 'a flow has at most one `budget`', { node: budgets[1], code: IssueCodes.DuplicateProperty });
  };

  /**
   * A flow that always calls itself, directly or through other flows (`unbounded-recursion`): following only the
   * sub-flow steps every run of a flow reaches — not inside `if`, `switch`, `foreach` or an approval's `on
   * timeout`, without `when:` or `on error: continue`, before any `fail` — leads back to it. Such a run can only
   * fail with FLOW_DEPTH_EXCEEDED. Reported on the step of this flow where the cycle starts, with the cycle.
   */
  checkFlowRecursion = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => {
    for (const step of alwaysCalledFlows(flow.body)) {
      const path = pathBack(step.target!.ref as ast.FlowDecl, flow);
      if (!path) continue;
      const cycle = [flow.name, ...path.map((f) => f.name)].join(' → ');
      accept(
        'error',
        `flow \`${flow.name}\` always calls itself (${cycle}): nothing stops the recursion, so every run fails with FLOW_DEPTH_EXCEEDED; put the call inside an \`if\` (or give it a \`when:\`) that is false at some depth`,
        { node: step, property: 'target', code: IssueCodes.UnboundedRecursion },
      );
      return;
    }
  };

  /** A recursive call under a guard it never changes (`recursion-without-progress`, a warning): see {@link checkRecursionProgress}. */
  checkRecursionProgress = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => checkRecursionProgress(flow, accept);

  checkStepSubflowInputs = (step: ast.Step, accept: ValidationAcceptor): void => {
    const flow = step.target?.ref;
    if (!ast.isFlowDecl(flow)) return;
    const inputProp = step.properties.find(ast.isInputProperty);
    // an input without a name (`input: …` while typing) cannot be given or missed
    const declared = flow.members.filter(ast.isInputDecl).filter((d) => d.name !== undefined);
    if (inputProp && !ast.isRecordLiteral(inputProp.value)) return;
    const entries = inputProp ? (inputProp.value as ast.RecordLiteral).entries : [];
    const given = new Set(entries.map((e) => e.key));
    for (const e of entries) {
      if (e.key !== undefined && !declared.some((d) => d.name === e.key)) {
        accept('error', `flow \`${flow.name}\` has no input \`${e.key}\`${suggestion(e.key, declared.map((d) => d.name))}`, { node: e, property: 'key', code: IssueCodes.UnknownInput });
      }
    }
    const missing = declared.filter((d) => !d.default && !given.has(d.name)).map((d) => d.name);
    if (missing.length) {
      accept('error', `the call of flow \`${flow.name}\` is missing required input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `\`${m}\``).join(', ')}`, { node: step, property: 'target', code: IssueCodes.MissingInput });
    }
  };

  checkInputDefault = (input: ast.InputDecl, accept: ValidationAcceptor): void => {
    if (!input.default) return;
    if (!isConstant(input.default)) {
      accept('error', 'an input default must be a constant', { node: input.default, code: IssueCodes.NotConstant });
      return;
    }
    const type = toTypeRef(input.type);
    const problem = checkValue(constantValue(input.default), type);
    if (problem) accept('error', `the default of input \`${input.name}\` does not fit its type ${describeType(type)}: ${problem}`, { node: input.default, code: IssueCodes.TypeMismatch });
  };

  // ------------------------------------------------------------------ values and settings

  checkDuration = (node: ast.DurationValue, accept: ValidationAcceptor): void => {
    if (node.value === undefined) return;
    if (typeof node.value === 'number') {
      accept('error', `a duration needs a unit: ${node.value}s, ${node.value}m, ${node.value}h (units: ms, s, m, h, d)`, { node, code: IssueCodes.InvalidDuration });
      return;
    }
    const ms = parseDuration(node.value);
    if (ms === undefined) accept('error', `invalid duration \`${node.value}\`: use a number with ms, s, m, h or d (e.g. 30s)`, { node, code: IssueCodes.InvalidDuration });
    // an SLA of 0 has its own code (sla-not-positive)
    else if (ms <= 0 && !ast.isWaitStatement(node.$container) && !ast.isSlaDecl(node.$container) && !ast.isSlaProperty(node.$container)) accept('error', `a duration of \`${node.value}\` is not allowed here: it must be more than 0`, { node, code: IssueCodes.InvalidDuration });
  };

  checkDurationLiteral = (node: ast.DurationLiteral, accept: ValidationAcceptor): void => {
    if (node.value === undefined) return;
    if (parseDuration(node.value) === undefined) accept('error', `invalid duration \`${node.value}\`: use a number with ms, s, m, h or d (e.g. 30s)`, { node, code: IssueCodes.InvalidDuration });
  };

  checkTrigger = (trigger: ast.Trigger, accept: ValidationAcceptor): void => {
    if (trigger.value === undefined) return;
    if (trigger.kind === 'schedule') {
      const fields = trigger.value.trim().split(/\s+/);
      let problem: string | undefined;
      if (fields.length !== 5) problem = `it has ${fields.length} field${fields.length === 1 ? '' : 's'}; a schedule has 5: minute hour day-of-month month day-of-week`;
      else {
        try {
          new Cron(trigger.value, { paused: true });
        } catch (error) {
          problem = (error as Error).message.replace(/^CronPattern:\s*/, '').replace(/^\w/, (c) => c.toLowerCase());
        }
      }
      if (problem) accept('error', `invalid cron expression "${trigger.value}": ${problem}`, { node: trigger, property: 'value', code: IssueCodes.InvalidCron });
      // a schedule starts the flow with no inputs: each input needs a default
      const flow = AstUtils.getContainerOfType(trigger, ast.isFlowDecl);
      const required = (flow?.members ?? []).filter((m): m is ast.InputDecl => ast.isInputDecl(m) && !m.default).map((m) => m.name);
      if (required.length > 0) {
        accept('warning', `a schedule starts ${flow!.name} without inputs, but ${required.map((n) => `\`${n}\``).join(', ')} ${required.length === 1 ? 'has' : 'have'} no default: give ${required.length === 1 ? 'it one' : 'them one'}, or the scheduled runs cannot start`, { node: trigger, code: IssueCodes.ScheduleNeedsInput });
      }
    } else if (trigger.kind === 'webhook') {
      const p = trigger.value;
      let problem: string | undefined;
      if (!p.startsWith('/')) problem = 'it must start with /';
      else if (/[\s?#]/.test(p)) problem = 'it may not contain spaces, ? or #';
      else if (p.split('/').includes('..')) problem = 'it may not contain ..';
      else if (!/^[A-Za-z0-9\-._~/:]*$/.test(p)) problem = 'use letters, digits and - . _ ~ / : only';
      if (problem) {
        accept('error', `invalid webhook path "${p}": ${problem}`, { node: trigger, property: 'value', code: IssueCodes.InvalidWebhookPath });
        return;
      }
      const document = AstUtils.getDocument(trigger);
      for (const doc of visibleDocuments(document, this.services.shared.workspace.LangiumDocuments)) {
        const triggers: ast.Trigger[] = [];
        someSubtreeNode(doc.parseResult.value, (node) => {
          if (ast.isTrigger(node)) triggers.push(node);
        });
        for (const other of triggers) {
          if (other === trigger) break;
          if (other.kind === 'webhook' && other.value === p) {
            accept('error', `webhook path "${p}" is already used by flow \`${AstUtils.getContainerOfType(other, ast.isFlowDecl)?.name}\``, { node: trigger, property: 'value', code: IssueCodes.DuplicateName });
            return;
          }
        }
      }
    }
  };

  checkRetry = (node: ast.RetryProperty, accept: ValidationAcceptor): void => {
    const n = node.count?.value;
    if (n === undefined) return;
    if (!Number.isInteger(n) || n < 0 || n > 10) accept('error', `retry must be a whole number from 0 to 10, not ${n}`, { node: node.count, code: IssueCodes.OutOfRange });
    const backoff = node.backoff?.value !== undefined ? parseDuration(String(node.backoff.value)) : undefined;
    const max = node.maxDelay?.value !== undefined ? parseDuration(String(node.maxDelay.value)) : undefined;
    if (backoff !== undefined && max !== undefined && max < backoff) {
      accept('error', `the largest delay (max ${node.maxDelay!.value}) is shorter than the backoff (${node.backoff!.value})`, { node: node.maxDelay!, code: IssueCodes.OutOfRange });
    }
  };

  checkCircuit = (node: ast.CircuitProperty, accept: ValidationAcceptor): void => {
    const n = node.failures?.value;
    if (n === undefined) return;
    if (!Number.isInteger(n) || n < 1 || n > 100) accept('error', `circuit needs a whole number of failures from 1 to 100, not ${n}`, { node: node.failures, code: IssueCodes.OutOfRange });
  };

  /** A step's own `retry` (or, without one, its agent's) on an agent that says `idempotent: false`. */
  checkStepRetryIdempotent = (step: ast.Step, accept: ValidationAcceptor): void => {
    const agent = step.target?.ref;
    if (!ast.isAgentDecl(agent) || isIdempotent(agent)) return;
    const own = step.properties.find(ast.isRetryProperty);
    if (own && (own.count?.value ?? 0) > 0) {
      accept('warning', `agent ${agent.name} says idempotent: false, so a retried call may do its work twice; retry only what is safe to repeat`, { node: own, code: IssueCodes.RetryNotIdempotent });
    }
  };

  checkAgentRetryIdempotent = (agent: ast.AgentDecl, accept: ValidationAcceptor): void => {
    if (isIdempotent(agent)) return;
    const retry = agent.properties.find(ast.isRetryProperty);
    if (retry && (retry.count?.value ?? 0) > 0) {
      accept('warning', `agent ${agent.name} says idempotent: false, so retrying its calls may do their work twice`, { node: retry, code: IssueCodes.RetryNotIdempotent });
    }
  };

  checkTemperature = (node: ast.TemperatureProperty, accept: ValidationAcceptor): void => {
    if (node.value && (node.value.value < 0 || node.value.value > 2)) accept('error', `temperature must be from 0 to 2, not ${node.value.value}`, { node: node.value, code: IssueCodes.OutOfRange });
  };

  checkMaxTokens = (node: ast.MaxTokensProperty, accept: ValidationAcceptor): void => {
    const n = node.value?.value;
    if (n === undefined) return;
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) accept('error', `max_tokens must be a whole number from 1 to 1,000,000, not ${n}`, { node: node.value, code: IssueCodes.OutOfRange });
  };

  checkBudget = (node: ast.BudgetDecl, accept: ValidationAcceptor): void => {
    const n = node.limit?.value;
    if (n === undefined) return;
    if (!Number.isInteger(n) || n < 1) accept('error', `budget tokens must be a whole number above 0, not ${n}`, { node: node.limit, code: IssueCodes.OutOfRange });
  };

  /** `concurrency N` of a `foreach` or a `parallel`: a whole number from 1 to 100. */
  checkConcurrency = (node: ast.ForeachStatement | ast.ParallelStatement, accept: ValidationAcceptor): void => {
    const n = node.concurrency?.value;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 100)) accept('error', `concurrency must be a whole number from 1 to 100, not ${n}`, { node: node.concurrency!, code: IssueCodes.OutOfRange });
  };

  checkRepeatMax = (node: ast.RepeatStatement, accept: ValidationAcceptor): void => {
    if (!node.hasMax || !node.max) {
      accept('error', '`repeat` needs a bound: write `repeat max N { … } until …`', { node, keyword: 'repeat', code: IssueCodes.RepeatWithoutMax });
      return;
    }
    const n = node.max.value;
    if (!Number.isInteger(n) || n < 1 || n > 1000) accept('error', `repeat max must be a whole number from 1 to 1000, not ${n}`, { node: node.max, code: IssueCodes.OutOfRange });
  };

  checkFunctionCall = (call: ast.FunctionCall, accept: ValidationAcceptor): void => {
    if (call.function === 'error' && (AstUtils.getContainerOfType(call, ast.isStubProperty) || AstUtils.getContainerOfType(call, ast.isTestStubProperty))) return;
    const signature = BUILTIN_FUNCTIONS_BY_NAME.get(call.function);
    if (!signature) {
      accept('error', `unknown function \`${call.function}()\`${suggestion(call.function, BUILTIN_FUNCTIONS.map((f) => f.name))}`, { node: call, property: 'function', code: IssueCodes.UnknownFunction });
      return;
    }
    const required = signature.params.filter((p) => !p.optional).length;
    const max = signature.variadic ? Infinity : signature.params.length;
    if (call.args.length < required || call.args.length > max) {
      const params = signature.params.map((p) => (p.optional ? `${p.name}?` : p.name)).join(', ');
      accept('error', `${call.function}(${params}) takes ${required === max ? required : signature.variadic ? `at least ${required}` : `${required} to ${max}`} argument${max === 1 ? '' : 's'}, not ${call.args.length}`, { node: call, property: 'function', code: IssueCodes.WrongArgumentCount });
    }
  };

  // ------------------------------------------------------------------ tests

  checkTest = (test: ast.TestDecl, accept: ValidationAcceptor): void => {
    const flowProp = test.properties.find(ast.isTestFlowProperty);
    if (!flowProp) accept('error', `test "${test.name}" needs \`flow:\` naming the flow it runs`, { node: test, property: 'name', code: IssueCodes.IncompleteTest });
    if (!test.properties.some(ast.isTestExpectProperty)) accept('error', `test "${test.name}" needs \`expect:\` — the condition that must hold after the run`, { node: test, property: 'name', code: IssueCodes.IncompleteTest });
    const input = test.properties.find(ast.isTestInputProperty);
    const flow = flowProp?.flow?.ref;
    // `input` without its value is a parse error already
    if (input?.value) {
      if (!isConstant(input.value) || !ast.isRecordLiteral(input.value)) {
        accept('error', 'a test `input` must be a constant record of the flow\'s inputs', { node: input.value, code: IssueCodes.NotConstant });
      } else if (flow) {
        for (const e of input.value.entries) {
          const decl = flow.members.filter(ast.isInputDecl).find((d) => d.name === e.key);
          if (!decl) {
            accept('error', `flow \`${flow.name}\` has no input \`${e.key}\``, { node: e, property: 'key', code: IssueCodes.UnknownInput });
            continue;
          }
          const type = toTypeRef(decl.type);
          const problem = checkValue(constantValue(e.value), type);
          if (problem) accept('error', `input \`${e.key}\` expects ${describeType(type)}: ${problem}`, { node: e.value, code: IssueCodes.TypeMismatch });
        }
      }
    }
    if (flow) {
      const given = new Set(input && ast.isRecordLiteral(input.value) ? input.value.entries.map((e) => e.key) : []);
      const missing = flow.members.filter(ast.isInputDecl).filter((d) => !d.default && !given.has(d.name)).map((d) => d.name);
      if (missing.length) accept('error', `test "${test.name}" is missing required input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `\`${m}\``).join(', ')} of flow \`${flow.name}\``, { node: test, property: 'name', code: IssueCodes.MissingInput });
    }
    for (const sent of test.properties.filter(ast.isTestEventProperty)) {
      if (!sent.value) continue;
      if (!isConstant(sent.value)) {
        accept('error', 'the data a test sends with an event must be a constant', { node: sent.value, code: IssueCodes.NotConstant });
        continue;
      }
      const decl = findEventDecl(test, sent.event, this.services.shared.workspace.LangiumDocuments);
      const type = eventDataType(decl);
      const problem = checkValue(constantValue(sent.value), type, 'data');
      if (problem) accept('error', `event "${sent.event}" carries ${describeType(type)}: ${problem}`, { node: sent.value, code: IssueCodes.TypeMismatch });
    }
    for (const stub of test.properties.filter(ast.isTestStubProperty)) {
      const agent = stub.agent?.ref;
      const outputProp = agent?.properties.find(ast.isOutputTypeProperty);
      this.checkStubValue(stub.value, outputProp ? toTypeRef(outputProp.type) : undefined, accept);
    }
  };
}

function findCycle(start: string, next: string, documents: LangiumDocuments): string[] | undefined {
  const path: string[] = [start];
  const visit = (uri: string, seen: Set<string>): string[] | undefined => {
    if (uri === start) return [...path, uri];
    if (seen.has(uri)) return undefined;
    seen.add(uri);
    const doc = documents.all.find((d) => d.uri.toString() === uri);
    if (!doc) return undefined;
    path.push(uri);
    for (const imp of (doc.parseResult.value as ast.Document).imports) {
      if (!imp.path) continue;
      const found = visit(importTarget(doc, imp.path).toString(), seen);
      if (found) return found;
    }
    path.pop();
    return undefined;
  };
  return visit(next, new Set());
}

function shortName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

export { BatonFlowChecks };

/** An agent is idempotent unless it says `idempotent: false`. */
function isIdempotent(agent: ast.AgentDecl): boolean {
  const property = agent.properties.find(ast.isIdempotentProperty);
  return !property || property.value;
}

/**
 * The sub-flow steps every run of `body` reaches (see `checkFlowRecursion`): in order, through `parallel`
 * branches and `repeat` bodies (which run at least once), up to the first `fail`.
 */
function alwaysCalledFlows(body: ast.Statement[]): ast.Step[] {
  const found: ast.Step[] = [];
  const walk = (statements: ast.Statement[]): boolean => {
    for (const s of statements) {
      if (ast.isFailStatement(s)) return false;
      if (ast.isStep(s)) {
        const conditional = s.properties.some((p) => ast.isWhenProperty(p) || (ast.isOnErrorProperty(p) && p.action === 'continue'));
        if (!conditional && ast.isFlowDecl(s.target?.ref)) found.push(s);
      } else if (ast.isParallelStatement(s)) {
        for (const branch of s.branches) if (!walk(ast.isBranchBlock(branch) ? branch.body : [branch])) return false;
      } else if (ast.isRepeatStatement(s)) {
        if (!walk(s.body)) return false;
      }
    }
    return true;
  };
  walk(body);
  return found;
}

/**
 * The flows from `from` to `to` along always-called sub-flows (`[from, …, to]`), or undefined. Breadth-first
 * with a parent map (no recursion: a chain of thousands of flows is no stack risk); each flow is visited once.
 */
function pathBack(from: ast.FlowDecl, to: ast.FlowDecl): ast.FlowDecl[] | undefined {
  const parent = new Map<ast.FlowDecl, ast.FlowDecl | undefined>([[from, undefined]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const flow = queue[i];
    if (flow === to) {
      const path: ast.FlowDecl[] = [];
      for (let f: ast.FlowDecl | undefined = flow; f; f = parent.get(f)) path.unshift(f);
      return path;
    }
    for (const step of alwaysCalledFlows(flow.body)) {
      const next = step.target!.ref as ast.FlowDecl;
      if (!parent.has(next)) {
        parent.set(next, flow);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * What makes a test's `decide` line unique in its block: decisions of several approvals are fine, one approval
 * decided twice at the same time is not; a tool's decisions are one line per call (each line its own).
 */
function decideKey(p: ast.TestDecideProperty): string {
  if (p.tool !== undefined) return `decide ${p.approval}.${p.tool} #${p.$containerIndex ?? 0}`;
  return `decide ${p.approval} after ${p.after?.value ?? '-'}`;
}
