import type { AstNode, LangiumDocument, LangiumDocuments, MaybePromise } from 'langium';
import { AstUtils, CstUtils } from 'langium';
import { AstNodeHoverProvider } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { Cron } from 'croner';
import { BUILTIN_FUNCTIONS_BY_NAME, DEFAULT_MAX_TURNS, MAX_TURNS_LIMIT, describeType, estimateFlow, formatCost, formatDuration, formatDurationLiteral, formatTokens, type FunctionSignature } from '@baton/protocol';
import type { BatonServices } from '../baton-module.js';
import { parseDuration } from '../baton-value-converter.js';
import { docComment } from '../baton-doc-comments.js';
import { visibleDocuments } from '../baton-imports.js';
import { estimateConfigFor } from '../baton-mcp-config.js';
import { toTypeRef } from '../baton-types.js';
import { eventInstanceType, eventWaitViewType, stepOutputType, varType } from '../baton-type-system.js';
import { eventDataType, findEventDecl } from '../baton-event-types.js';
import * as ast from '../generated/ast.js';
import { toolEntryHover } from './baton-tool-hover.js';
import { decidedTool } from '../baton-choice-checks.js';
import { testFlow } from '../baton-scope-provider.js';
import { generateHover } from './baton-generate-hover.js';
import { toolName } from '../ir/baton-ir-tools.js';

/**
 * Hover of the Baton language server, in Markdown:
 * - an agent (at its declaration or any use): its doc comment, model and `output` type;
 * - a step, approval, `let` value, `var`, input or output: what it is, its target and the type it reads as (a var:
 *   the lines that `set` it);
 * - the keywords `var` and `wait until`: what they do;
 * - a flow: its doc comment, inputs and outputs, and its static worst case (calls, output tokens, duration);
 * - a built-in function call: its signature and what it does;
 * - a duration (`30s`, `2h`): the same in words;
 * - a `trigger schedule "…"`: the next three times it fires (UTC);
 * - the keywords `branch` and `concurrency` of a `parallel`, and of a partial join (`first`, `until`, `where`,
 *   `keep`), and `lock`: what they do;
 * - `sla` (a flow's `sla 4h`, an approval's `sla: 4h`) and its duration: what is measured and what a breach does;
 * - an entry of an agent's `tools: [...]`: what the model is given (see {@link toolEntryHover});
 * - a key of a step's `generate { … }`, the keyword `generate` and the `run` of `step s: run plan`: what they do, a
 *   key's value and default (see {@link generateHover}).
 */
export class BatonHoverProvider extends AstNodeHoverProvider {
  private readonly documents: LangiumDocuments;
  private readonly irBuilder: BatonServices['ir']['WorkflowBuilder'];

  constructor(services: BatonServices) {
    super(services);
    this.documents = services.shared.workspace.LangiumDocuments;
    this.irBuilder = services.ir.WorkflowBuilder;
  }

  override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
    const root = document.parseResult.value.$cstNode;
    if (root) {
      const offset = document.textDocument.offsetAt(params.position);
      const leaf = CstUtils.findLeafNodeAtOffset(root, offset);
      const value = leaf && (generateHover(leaf) ?? this.valueHover(leaf.astNode, leaf.text));
      if (value) return { contents: { kind: 'markdown', value }, range: leaf.range };
    }
    return super.getHoverContent(document, params);
  }

  /**
   * A flow's static worst case ({@link estimateFlow} over the file and the files it imports, priced with the `prices`
   * and `agents` overrides of the nearest baton.config.json as `baton estimate` is):
   * `worst case: 3 calls, output 2,000 tokens, $0.0012, 1 min 2 s` (`unbounded` where the flow bounds nothing, `cost
   * unknown` for a model without prices, `cost unbounded` when the tokens are; no cost when the configuration has no prices). Undefined when the document
   * does not compile (while it is being edited).
   */
  private estimate(node: ast.FlowDecl): string | undefined {
    const document = AstUtils.getDocument(node);
    const config = document.uri.scheme === 'file' ? estimateConfigFor(document.uri.fsPath) : undefined;
    let total;
    try {
      // the file and what it imports: a sub-flow step or flow tool may call an imported flow
      total = estimateFlow(this.irBuilder.build([document, ...visibleDocuments(document, this.documents).filter((d) => d !== document)]), node.name, config).total;
    } catch {
      return undefined;
    }
    const bound = (n: number | null, format: (n: number) => string): string => (n === null ? 'unbounded' : format(n));
    const priced = Object.keys(config?.prices ?? {}).length > 0;
    const cost = !priced ? '' : `${total.outputCostUsd !== null ? formatCost(total.outputCostUsd) : total.outputTokens === null ? 'cost unbounded' : 'cost unknown'}, `;
    return `worst case: ${bound(total.calls, (n) => `${n} call${n === 1 ? '' : 's'}`)}, output ${bound(total.outputTokens, formatTokens)}, ${cost}${bound(total.durationMs, formatDuration)} (\`baton estimate\` ${priced ? 'says why' : 'adds the cost and why'})`;
  }

  /** Hovers for tokens that are not names: function calls, durations, cron strings. */
  private valueHover(node: AstNode, text: string): string | undefined {
    // an entry of `tools: [...]` (its name, not its `{ … }` settings): what the model is given
    if (ast.isToolEntry(node) && text !== '{' && text !== '}' && text !== ',') return toolEntryHover(node);
    // a test's `decide answer.RefundFlow`: the tool whose waiting call it decides
    if (ast.isTestDecideProperty(node) && node.tool !== undefined && (text === node.tool || text === JSON.stringify(node.tool))) {
      const flow = testFlow(node.$container);
      const entry = flow ? decidedTool(flow, node).entry : undefined;
      const tool = entry ? toolEntryHover(entry) : undefined;
      return tool ? `decides the next call of this tool that step \`${node.approval}\` waits on an approval for\n\n---\n\n${tool}` : undefined;
    }
    if (ast.isFunctionCall(node) && node.function === text) {
      const fn = BUILTIN_FUNCTIONS_BY_NAME.get(node.function);
      return fn ? functionHover(fn) : undefined;
    }
    if ((ast.isDurationValue(node) || ast.isDurationLiteral(node)) && /^[0-9]/.test(text)) {
      const ms = parseDuration(text);
      if (ms === undefined) return undefined;
      const sla = ast.isSlaDecl(node.$container) || ast.isSlaProperty(node.$container) ? slaHover(node.$container, ms) : undefined;
      return `**${text}** = ${durationInWords(ms)}${sla ? `\n\n${sla}` : ''}`;
    }
    if ((ast.isSlaDecl(node) || ast.isSlaProperty(node)) && text === 'sla') {
      const duration = ast.isSlaDecl(node) ? node.duration : node.value;
      const ms = typeof duration?.value === 'string' ? parseDuration(duration.value) : undefined;
      return slaHover(node, ms);
    }
    if (ast.isTrigger(node) && node.kind === 'schedule' && text.startsWith('"')) return cronHover(node.value);
    // an event name: `wait event "x"`, `trigger event "x"`, `event "x" { … }`
    if (text.startsWith('"')) {
      const name = (ast.isWaitStatement(node) && node.isEvent) || ast.isEventSource(node) || ast.isEndEvent(node) ? node.event : ast.isTrigger(node) && node.kind === 'event' ? node.value : ast.isEventDecl(node) ? node.name : undefined;
      if (name !== undefined) return eventHover(name, ast.isEventDecl(node) ? node : findEventDecl(node, name, this.documents));
    }
    if (ast.isVarStatement(node) && text === 'var') return VAR_KEYWORD_HOVER;
    if (ast.isWaitStatement(node) && node.isUntil && text === 'until') return WAIT_UNTIL_HOVER;
    if (ast.isWaitStatement(node) && node.isFirst && text === 'first') return waitFirstHover(node);
    if ((ast.isWaitStatement(node) && node.isSignal) || ast.isSignalStatement(node)) {
      if (text === 'signal') return SIGNAL_HOVER;
    }
    return regionKeywordHover(node, text) ?? keywordHover(node, text);
  }

  protected getAstNodeHoverContent(node: AstNode): MaybePromise<string | undefined> {
    const doc = declarationDoc(node);
    const withDoc = (body: string): string => (doc ? `${body}\n\n---\n\n${doc}` : body);
    if (ast.isAgentDecl(node)) {
      const model = node.properties.find(ast.isModelProperty)?.value;
      const output = node.properties.find(ast.isOutputTypeProperty);
      const lines = [`**agent** \`${node.name}\``];
      lines.push(model ? `model: \`${model}\`` : node.properties.some(ast.isStubProperty) ? 'stub only (no model)' : 'no model');
      if (output) lines.push(`output: \`${describeType(toTypeRef(output.type))}\``);
      return withDoc(lines.join('  \n'));
    }
    if (ast.isFlowDecl(node)) {
      const inputs = node.members.filter(ast.isInputDecl).map((i) => `\`${i.name}: ${describeType(toTypeRef(i.type))}\``);
      const outputs = node.members.filter(ast.isOutputDecl).map((o) => `\`${o.name}: ${describeType(toTypeRef(o.type))}\``);
      const sla = node.members.find(ast.isSlaDecl)?.duration?.value;
      const lines = [`**flow** \`${node.name}\``, `inputs: ${inputs.join(', ') || 'none'}`, `outputs: ${outputs.join(', ') || 'none'}`];
      if (typeof sla === 'string') lines.push(`sla: \`${sla}\``);
      const estimate = this.estimate(node);
      if (estimate) lines.push(estimate);
      return withDoc(lines.join('  \n'));
    }
    if (ast.isStep(node)) {
      const target = node.target?.ref;
      const kind = ast.isFlowDecl(target) ? 'sub-flow' : 'agent';
      const lines = [`**step** \`${node.name}\` → ${kind} \`${node.target?.$refText ?? '?'}\``, `output: \`${describeType(stepOutputType(node))}\``];
      const tools = ast.isAgentDecl(target) ? (target.properties.find(ast.isToolsProperty)?.tools ?? []).flatMap((t) => toolName(t) ?? []) : [];
      if (tools.length) lines.push(`tools: ${tools.map((t) => `\`${t}\``).join(', ')}`);
      return withDoc(lines.join('  \n'));
    }
    if (ast.isApprovalStatement(node)) {
      const options = node.properties.find(ast.isOptionsProperty)?.values ?? [];
      const arm = node.$containerProperty === 'arms';
      const decisions = ['approved', 'rejected', ...(arm ? [] : ['timeout']), ...options].map((d) => `"${d}"`).join(' | ');
      const lines = [`**approval** \`${node.name}\`${arm ? ' — an arm of `wait first`' : ''}`, `output: \`{ decision: ${decisions}, by: string, comment: any }\``];
      if (arm) lines.push('status: `"succeeded"` when it came first (whatever the decision), `"withdrawn"` when another arm did');
      return withDoc(lines.join('  \n'));
    }
    if (ast.isInputDecl(node)) return withDoc(`**input** \`${node.name}: ${describeType(toTypeRef(node.type))}\``);
    if (ast.isOutputDecl(node)) return withDoc(`**output** \`${node.name}: ${describeType(toTypeRef(node.type))}\``);
    if (ast.isLetStatement(node)) return `**let** \`${node.name}\``;
    if (ast.isVarStatement(node)) {
      const sets = AstUtils.streamAst(AstUtils.getContainerOfType(node, ast.isFlowDecl) ?? node).filter(ast.isSetStatement).filter((s) => s.variable?.ref === node).map((s) => (s.$cstNode?.range.start.line ?? 0) + 1).toArray();
      return `**var** \`${node.name}: ${describeType(varType(node))}\`  \n${sets.length ? `set on line${sets.length > 1 ? 's' : ''} ${sets.join(', ')}` : 'never set after its declaration'}`;
    }
    if (ast.isLoopVariable(node)) {
      const source = node.$container.source;
      if (!source) return `**loop variable** \`${node.name}\` (one item of the \`foreach\` list)`;
      const view = eventInstanceType(eventDataType(findEventDecl(source, source.event, this.documents)));
      return [`**loop variable** \`${node.name}\` — the event "${source.event}" that started this instance`, `reads: \`${describeType(view)}\``].join('  \n');
    }
    if (ast.isTypeDecl(node)) return withDoc(`**type** \`${node.name}\``);
    if (ast.isRegionStatement(node)) return withDoc(`**region** \`${node.name}\`  \nreads: \`{ status: "succeeded" | "cancelled" | "completed" | "skipped" }\` (after the region)`);
    if (ast.isWaitStatement(node) && node.name) {
      const view = eventWaitViewType(eventDataType(findEventDecl(node, node.event, this.documents)));
      return [`**event wait** \`${node.name}\` — event "${node.event}"`, `reads: \`${describeType(view)}\``].join('  \n');
    }
    return doc;
  }
}

/** The hover of `first` in `wait first { … }`: what the choice does, and its arms. */
function waitFirstHover(node: ast.WaitStatement): string {
  const arms = node.arms.map((arm) => (ast.isApprovalStatement(arm) ? `approval ${arm.name}` : arm.isEvent ? `event "${arm.event ?? ''}"` : arm.isSignal ? `signal ${arm.signal ?? ''}` : `timeout ${arm.duration?.value ?? ''}`));
  return [
    '**wait first** `{ on … }`: an event-based choice (deferred choice) — every arm waits at once; the first to come wins and runs its body, the others are withdrawn (an approval leaves the inboxes, a timer is dropped, a later event is no longer awaited here).',
    arms.length ? `arms: ${arms.map((a) => `\`${a}\``).join(', ')}` : 'no arms yet: add `on event "x" { … }`, `on approval a { … }`, `on timeout 3d { … }` or `on signal s { … }`',
  ].join('  \n');
}
/** The hover of `event` in `foreach x in event "…"`. */
const EVENT_LOOP_HOVER =
  '**foreach … in event** `"name"`: one instance of the body per event delivered while the loop is open (also events kept before it opened), side by side (`concurrency N` bounds them). `where field == value` takes only this run\'s events; the arrivals end at `timeout D` after the loop opened, or when `until <condition>` holds after an instance ended (then the running instances are withdrawn; `keep` lets them finish) or `first N` counted. The loop then waits for its running instances.';

/** The hover of the `signal` keyword (of `signal s` and `wait signal s`). */
const SIGNAL_HOVER =
  '**signal** `s` raises a run-local latch; **wait signal** `s` waits until a branch raised it (at once when it was). A raised signal stays raised, seen by the waits of the loop iteration (or sub-flow call) that raised it and of the blocks inside it. `wait signal s timeout D on timeout { … }` gives up after D; when nothing left in the run can raise it, the run fails with `DEADLOCK`.';

/** What `region`, `on cancel`, `cancel` and `complete` do, on the keyword itself. */
function regionKeywordHover(node: AstNode, text: string): string | undefined {
  if (ast.isRegionStatement(node) && text === 'region') {
    return `**region** \`${node.name ?? 'r'}\` \`{ … }\`: a cancellation region. \`cancel ${node.name ?? 'r'}\` (inside it, or from a branch running beside it) withdraws its unfinished work, runs the compensations of its finished steps (newest first)${node.cancelBranch ? ', then `on cancel`' : ''}; \`complete ${node.name ?? 'r'}\` ends it successfully at once. The run goes on after it either way; \`${node.name ?? 'r'}.status\` says how it ended.`;
  }
  if (ast.isCancelBranch(node) && (text === 'cancel' || text === 'on')) {
    return '**on cancel** `{ … }`: runs when the region was cancelled, after the compensations of its finished steps; then the run goes on after the region.';
  }
  if (ast.isCancelStatement(node) && text === 'cancel') {
    const target = node.target?.ref;
    if (ast.isStep(target)) return `**cancel** \`${target.name}\`: withdraws step \`${target.name}\` only (its call is aborted; its status reads \`cancelled\`); the rest goes on.`;
    return `**cancel** \`${node.target?.$refText ?? 'r'}\`: ends the region now — its unfinished work is withdrawn, the compensations of its finished steps run (newest first), then its \`on cancel\`; the run goes on after the region.`;
  }
  if (ast.isCompleteStatement(node) && text === 'complete') {
    if (node.target) return `**complete** \`${node.target.$refText}\`: ends the region successfully now — its unfinished work is withdrawn, nothing is compensated; its status reads \`completed\`.`;
    return '**complete**: ends the current flow successfully now, with the outputs set so far (a sub-flow returns to its caller\'s step as succeeded); work still running in it is withdrawn.';
  }
  return undefined;
}

/** What the keywords of `parallel` and its branches mean, on the keyword itself. */
function keywordHover(node: AstNode, text: string): string | undefined {
  if (ast.isToolsProperty(node) && text === 'tools') {
    return '**tools**: what the model may call while it works — agents and flows of the workspace, and `mcp.<server>.<tool>` (an MCP server of baton.config.json). The step runs in turns: the model asks for calls, Baton runs them and gives the results back, until it gives its final output (at most `max_turns` turns). `{ approval: "…" }` makes each call of a tool wait for a person\'s decision.';
  }
  if (ast.isMaxTurnsProperty(node) && text === 'max_turns') {
    return `**max_turns** ${node.value?.value ?? 'N'}: at most that many model turns in one step's tool loop (a turn is one model call; default ${DEFAULT_MAX_TURNS}, at most ${MAX_TURNS_LIMIT}); one more fails the step with \`TOOL_TURNS_EXCEEDED\`.`;
  }
  if (ast.isEventSource(node) && text === 'event') return EVENT_LOOP_HOVER;
  if (ast.isBranchBlock(node) && text === 'branch') {
    return '**branch** `{ … }`: several statements that are together one branch of the `parallel`; they run in order, beside the other branches.';
  }
  if (ast.isLockStatement(node) && text === 'lock') {
    const wait = node.timeout ? `waits at most ${node.timeout.value}${node.timeoutBranch ? ', then runs `on timeout` instead' : ', then fails the run (`LOCK_TIMEOUT`)'}` : 'waits as long as it takes';
    return `**lock** ${node.name?.$cstNode?.text ?? '"name"'} \`{ … }\`: a critical section — at most one run of the tenant (or one branch) inside a block of this lock name at a time, across processes on the store; the others wait in turn (first come, first served), durably. It ${wait}. Given up when the block ends, also by a failure.`;
  }
  if (ast.isParallelStatement(node) && text === 'concurrency') {
    const n = node.concurrency?.value;
    return `**concurrency** ${n ?? 'N'}: at most ${n === 1 ? 'one branch at a time (interleaved: in source order, never two at once)' : `${n ?? 'N'} branches at once`}; the next branch starts when one ends (a waiting branch keeps its slot).`;
  }
  if (ast.isJoinClause(node)) {
    const block = ast.isParallelStatement(node.$container) ? 'branches' : 'iterations';
    const rest = node.keep ? `the rest run on, and the enclosing flow body or loop iteration waits for them before it ends` : `the rest are cancelled (withdrawn: running calls aborted, their steps \`cancelled\`, not compensated)`;
    if (text === 'first') {
      const n = node.count?.value ?? 1;
      return `**first** ${n}: the block goes on once ${n} of its ${block} ended without failure${node.where ? ' and their `where` holds' : ''}; ${rest}. A failing one does not count; the block fails with \`JOIN_UNREACHABLE\` only when ${n} can no longer be reached.`;
    }
    if (text === 'until') return `**until** <condition>: evaluated each time one of the ${block} ended${block === 'iterations' ? ' (in that iteration)' : ''}; the block goes on once it holds; ${rest}.`;
    if (text === 'where') return '**where** <condition>: an iteration counts for `first N` only when this holds in it (read when it ended).';
    if (text === 'keep') return `**keep**: once the join is reached, the other ${block} run on (not cancelled); the enclosing flow body or loop iteration waits for them before it ends (a blocking discriminator / partial join).`;
  }
  return undefined;
}

/**
 * The hover of an SLA (on `sla` or its duration): what is measured — a run from its start (`sla 4h` of a flow), an
 * approval from its request (`sla: 4h`) — and that a breach is recorded, counted, shown and notified, never cancels.
 * `ms` undefined: the duration is missing or invalid (reported by the checker).
 */
export function slaHover(node: ast.SlaDecl | ast.SlaProperty, ms: number | undefined): string {
  const d = ms === undefined ? 'D' : formatDurationLiteral(ms);
  const what = ast.isSlaDecl(node) ? `a run still open ${d} after it started (accepted, queued time included)` : `this approval still undecided ${d} after it was requested`;
  return `**SLA ${d}**: ${what} is marked breached — event \`sla.breached\`, counted (\`baton_sla_breaches_total\`), shown red, notified. Nothing is cancelled${ast.isSlaProperty(node) ? ': its `timeout` (if any) still decides when the wait ends' : ''}.`;
}

/** The hover of an event name: its declaration's doc comment, `data` type and buffering, or that it is not declared. */
export function eventHover(name: string, decl: ast.EventDecl | undefined): string {
  if (!decl) return `**event** "${name}" — not declared: its data is \`any\`, and an event sent before the run waits is kept 7 days (declare \`event "${name}" { data: … }\` to type it)`;
  const buffer = decl.properties.find(ast.isEventBufferProperty);
  const lines = [`**event** "${name}"`, `data: \`${describeType(eventDataType(decl))}\``];
  if (buffer?.none) lines.push('buffer: none — sent while no run waits for it, it is refused (transient)');
  else lines.push(`buffer: kept ${buffer?.duration?.value ?? '7d'}, at most ${buffer?.max?.value ?? 100} per run, until a wait takes it`);
  const doc = docComment(decl);
  return doc ? `${lines.join('  \n')}\n\n---\n\n${doc}` : lines.join('  \n');
}
/** Hover of the `var` keyword. */
export const VAR_KEYWORD_HOVER =
  '**var** — state of the block it is declared in: `set name = …` changes it, and the next statement — or the next iteration of a loop — reads the new value. Its type is declared (`var pages: string[] = []`) or the initial value\'s.';

/** Hover of `until` in `wait until`. */
export const WAIT_UNTIL_HOVER =
  '**wait until** — a milestone: this branch waits until the condition holds, re-checked after every `set` of a `var` in the run. With `timeout D`, the `on timeout { … }` block runs when it did not hold in time; when nothing left in the run can change it, the run fails with `DEADLOCK`.';

/** `name(param: type, …) → type` and the function's one-line description. */
export function functionHover(fn: FunctionSignature): string {
  const params = fn.params.map((p, i) => `${fn.variadic && i === fn.params.length - 1 ? '…' : ''}${p.name}${p.optional ? '?' : ''}: ${describeType(p.type)}`);
  return `\`${fn.name}(${params.join(', ')}) → ${describeType(fn.returns)}\`\n\n${fn.doc}`;
}

/** A duration in ms in words: `90000` → "1 minute 30 seconds". */
export function durationInWords(ms: number): string {
  if (ms < 1000) return `${ms} millisecond${ms === 1 ? '' : 's'}`;
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  const parts: string[] = [];
  let rest = ms;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest} ms`);
  return parts.join(' ');
}

/** The next three fire times of a cron expression (UTC), or why it is not valid. */
export function cronHover(expression: string, from = new Date()): string {
  try {
    const cron = new Cron(expression, { timezone: 'UTC', paused: true });
    const next = cron.nextRuns(3, from).map((d) => `- ${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`);
    return [`**schedule** \`${expression}\` — next runs:`, ...next].join('\n');
  } catch (error) {
    return `**schedule** \`${expression}\`: not a valid cron expression (${(error as Error).message})`;
  }
}

/** The doc comment of a declaration (statements other than steps and approvals have none worth showing). */
function declarationDoc(node: AstNode): string | undefined {
  const declaration = ast.isStep(node) || ast.isAgentDecl(node) || ast.isFlowDecl(node) || ast.isTypeDecl(node) || ast.isApprovalStatement(node) || ast.isInputDecl(node) || ast.isOutputDecl(node);
  return declaration ? docComment(node) : undefined;
}
