import type { AstNode, LangiumDocument, ValidationAcceptor } from 'langium';
import type { CheckReuse } from './baton-validation-registry.js';
import { AstUtils } from 'langium';
import { astNodes, nodesOfKind, topLevelElement } from './baton-ast-walk.js';
import { editSinceValidation, lineBreaks, nameIndexOf, validationCompleted } from './baton-incremental.js';
import { NAMED_STATEMENTS, STEPS } from './baton-node-kinds.js';
import * as ast from './generated/ast.js';

/**
 * The editor's re-validation after a statement-only re-parse, for the flow check's per-node part
 * (BatonFlowChecks.checkFlow: order of execution, names in scope, types of every expression, unreachable statements),
 * without re-checking what the edit cannot change.
 *
 * A complete validation records, per flow and per node the flow check visited, the `accept` calls it made there.
 * The next validation, when exactly one statement was replaced (and re-linked incrementally) since, re-checks only:
 *
 * - every node of the new statement, its ancestors, and the statement before it (an `unreachable` diagnostic of
 *   that one lies on the edited statement);
 * - every reference whose name (`$refText`) the old or the new statement declares, with its ancestors up to the
 *   flow (found through the linker's name index): its target, and so its order, scope and type, may have changed;
 * - transitively, the references of any name declared on those paths whose type is computed from what they
 *   contain (`let`, `var`, loop variables, `step s: run <step>`, approvals, waits, regions — all but plain steps,
 *   whose type is their agent's or sub-flow's).
 *
 * Every other node's calls are replayed (the diagnostic's range recomputed from its node's shifted CST). Falls
 * back to the full flow check when the edit may change what the rest reads beyond names: a `cancel`/`complete`
 * (cancel targets, blocks ended early) or a `set` (what a `wait until` waits for) in the old or new statement,
 * a change of the document's line count (messages name lines: the old and new statement's line breaks differ), a top-level element replaced, or no recorded
 * result of the previous validation. The whole-flow parts of the flow check: duplicate names and unread outputs from
 * the previous result patched for the edit ({@link flowDuplicateNames}, {@link flowReads}); vars set concurrently in
 * full. `test/language/incremental-check.test.ts` compares the
 * diagnostics with a full check after every edit of randomised edit sequences.
 */

/** One call of a check's `accept`: its arguments. */
type Accepted = Parameters<ValidationAcceptor>;

/** Node the flow check visited → the `accept` calls made there (only nodes with calls). */
type FlowResults = Map<AstNode, Accepted[]>;

/** Node → per check (its index among the checks of the node's type) the `accept` calls it made (only nodes with calls). */
type NodeResults = Map<AstNode, Array<Accepted[] | undefined>>;

/** A validation's recorded flow results, and whether its document had parse errors. */
interface Recorded {
  flows: Map<AstNode, FlowResults>;
  parseErrors: boolean;
  /** Per flow: what its names (`NameRef`s) read, when its flow check completed. */
  reads: Map<AstNode, ReadonlySet<AstNode>>;
  /** Per flow: its names counted and its duplicate names, when its flow check completed. */
  names: Map<AstNode, FlowNames>;
  /** The references with a linking error (in `document.references` order), when the linking errors were reported. */
  linkingErrors?: readonly unknown[];
  /** The per-node checks' calls (BatonDocumentValidator.validateAstNodes), when its node loop completed, with the key of its checks. */
  nodeChecks?: { key: string; results: NodeResults };
}

/** What the current validation of a document re-checks incrementally (one flow), and records. */
interface Run {
  /**
   * The flow containing the replaced statement, the nodes to re-check in it (and the references outside it whose
   * name the edit declares, with their ancestors), the previous results, and the replaced statement's nodes, old
   * and new; undefined: every flow in full.
   */
  plan: { flow: ast.FlowDecl; dirty: Set<AstNode>; previous: FlowResults; edited: readonly AstNode[]; removed: readonly AstNode[]; added: readonly AstNode[]; statement: AstNode; relinked: ReadonlySet<unknown>; names: ReadonlySet<string> } | undefined;
  recording: Recorded;
}

/** Per document: the results of its last complete validation. */
const recorded = new WeakMap<LangiumDocument, Recorded>();
/** Per document: the validation running now. */
const running = new WeakMap<LangiumDocument, Run>();

/** How many flow checks ran incrementally since the process started (tests assert the path is taken). */
export const incrementalFlowChecks = { count: 0 };

/** Called by the document validator before validating `document`'s AST: plans what the flow check may reuse. */
export function startValidation(document: LangiumDocument): void {
  running.set(document, { plan: planFor(document), recording: { flows: new Map(), reads: new Map(), names: new Map(), parseErrors: document.parseResult.parserErrors.length > 0 } });
}

/** Called when the validation of `document` completed (not when it was cancelled or threw): its results are kept. */
export function finishValidation(document: LangiumDocument): void {
  const run = running.get(document);
  running.delete(document);
  if (run) recorded.set(document, run.recording);
  else recorded.delete(document);
  validationCompleted(document);
}

/** Called when the validation of `document` did not complete: nothing recorded is trusted. */
export function abandonValidation(document: LangiumDocument): void {
  running.delete(document);
  recorded.delete(document);
}

function planFor(document: LangiumDocument): Run['plan'] {
  const previous = recorded.get(document);
  if (!previous) return undefined;
  const edit = editSinceValidation(document);
  // the line count changed (the messages name lines): in full
  if (!edit || !edit.relinked || edit.oldLineBreaks < 0 || lineBreaks(edit.node.$cstNode?.text) !== edit.oldLineBreaks) return undefined;
  const { old, node, byName } = edit;
  const flow = AstUtils.getContainerOfType(node.$container, ast.isFlowDecl);
  if (!flow || ast.isDocument(node.$container)) return undefined;
  const previousResults = previous.flows.get(flow);
  if (!previousResults) return undefined;
  const oldNodes = astNodes(old);
  const newNodes = astNodes(node);
  if (oldNodes.some(changesBeyondNames) || newNodes.some(changesBeyondNames)) return undefined;
  const dirty = new Set<AstNode>(newNodes);
  for (let a = node.$container; a && a !== flow; a = a.$container) dirty.add(a);
  const holder = (node.$container as unknown as Record<string, unknown>)[node.$containerProperty ?? ''];
  if (Array.isArray(holder) && node.$containerIndex !== undefined && node.$containerIndex > 0) dirty.add(holder[node.$containerIndex - 1] as AstNode);
  const names: string[] = [];
  const queued = new Set<string>();
  const queue = (name: unknown) => {
    if (typeof name === 'string' && !queued.has(name)) {
      queued.add(name);
      names.push(name);
    }
  };
  for (const n of oldNodes) queue((n as { name?: unknown }).name);
  for (const n of newNodes) queue((n as { name?: unknown }).name);
  const path: AstNode[] = [];
  for (let i = 0; i < names.length; i++) {
    for (const info of byName.get(names[i]) ?? []) {
      path.length = 0;
      let a: AstNode | undefined = info.container;
      for (; a && a !== flow; a = a.$container) path.push(a);
      // another flow's, a test's: the flow check checks it in full; the per-node checks re-run it and its ancestors
      if (a !== flow) {
        for (const p of path) dirty.add(p);
        continue;
      }
      for (const p of path) {
        dirty.add(p);
        if (!ast.isStep(p) || p.generated) queue((p as { name?: unknown }).name);
        if (ast.isForeachStatement(p)) queue(p.variable?.name);
      }
    }
  }
  return { flow, dirty, previous: previousResults, edited: [...oldNodes, ...newNodes], removed: oldNodes, added: newNodes, statement: node, relinked: edit.relinked ?? new Set(), names: queued };
}

/** A node whose change may change diagnostics elsewhere without a name: see the file's comment. */
function changesBeyondNames(node: AstNode): boolean {
  return node.$type === 'CancelStatement' || node.$type === 'CompleteStatement' || node.$type === 'SetStatement';
}

/**
 * The flow check's side of it: `check(node, accept)` checks one node of `flow`. Re-checks the nodes the plan names and
 * replays the calls of the others (in `streamAst` order), or checks every node of `nodes()` (the flow's nodes in
 * `streamAst` order) when there is no plan for this flow; records the calls for the next validation. True when
 * incremental: then `check` saw only the dirty nodes.
 */
export function checkFlowNodes(
  flow: ast.FlowDecl,
  nodes: () => readonly AstNode[],
  accept: ValidationAcceptor,
  check: (node: AstNode, accept: ValidationAcceptor) => void,
): boolean {
  const document = AstUtils.getDocument(flow);
  const run = running.get(document);
  const plan = run?.plan?.flow === flow ? run.plan : undefined;
  const results: FlowResults = new Map();
  let current: AstNode | undefined;
  const recordingAccept: ValidationAcceptor = (...args: Accepted) => {
    let calls = results.get(current!);
    if (!calls) results.set(current!, (calls = []));
    calls.push(args);
    (accept as (...a: Accepted) => void)(...args);
  };
  if (plan) {
    // only the dirty nodes and those with calls to replay, in streamAst order (not the flow's ~150,000 nodes)
    const { dirty, previous, edited } = plan;
    const gone = new Set(edited);
    const chains = new Map<AstNode, AstNode[]>();
    for (const node of dirty) {
      const chain = chainInFlow(node, flow);
      if (chain) chains.set(node, chain);
    }
    for (const node of previous.keys()) {
      if (gone.has(node) || chains.has(node)) continue;
      const chain = chainInFlow(node, flow);
      if (chain) chains.set(node, chain);
    }
    const order = [...chains.keys()].sort((a, b) => compareTreeOrder(chains.get(a)!, chains.get(b)!));
    for (const node of order) {
      current = node;
      if (dirty.has(node)) {
        check(node, recordingAccept);
        continue;
      }
      const calls = previous.get(node);
      if (calls) for (const args of calls) (recordingAccept as (...a: Accepted) => void)(...args);
    }
    incrementalFlowChecks.count++;
  } else {
    for (const node of nodes()) {
      current = node;
      check(node, recordingAccept);
    }
  }
  run?.recording.flows.set(flow, results);
  return plan !== undefined;
}

/** `node`'s ancestors from `flow` down to it (both included), or undefined when `node` is not in `flow`. */
function chainInFlow(node: AstNode, flow: AstNode): AstNode[] | undefined {
  const chain: AstNode[] = [];
  let n: AstNode | undefined = node;
  for (; n && n !== flow; n = n.$container) chain.push(n);
  if (n !== flow) return undefined;
  chain.push(flow);
  return chain.reverse();
}

/**
 * The order of two nodes in `streamAst` order (parent before children, properties in key order, arrays in order —
 * the order of forEachChild), given their ancestor chains from a common root.
 */
export function compareTreeOrder(a: readonly AstNode[], b: readonly AstNode[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length) return i === b.length ? 0 : -1;
  if (i === b.length) return 1;
  const x = a[i];
  const y = b[i];
  if (x.$containerProperty !== y.$containerProperty) {
    const keys = Object.keys(a[i - 1]);
    return keys.indexOf(x.$containerProperty!) - keys.indexOf(y.$containerProperty!);
  }
  return (x.$containerIndex ?? 0) - (y.$containerIndex ?? 0);
}

/**
 * What the names (`NameRef`s) of `flow` read, for the unread-output check: after an incremental flow check, the
 * previous validation's set with the steps the edit can change looked up again — those of the replaced statement
 * (old and new), the targets of its names, and the steps named by a name it declares (the only ones a re-linked name
 * can have read, or read now) — through the linker's name index; `read` (what the re-checked nodes read) added.
 * Without an incremental check or a recorded set: `fallback()`. The result is recorded for the next validation.
 */
export function flowReads(flow: ast.FlowDecl, read: Set<AstNode>, incremental: boolean, fallback: () => Set<AstNode>): ReadonlySet<AstNode> {
  const document = AstUtils.getDocument(flow);
  const run = running.get(document);
  const reads = incremental ? (patchedReads(document, flow, read) ?? fallback()) : read;
  run?.recording.reads.set(flow, reads);
  return reads;
}

function patchedReads(document: LangiumDocument, flow: ast.FlowDecl, read: Set<AstNode>): Set<AstNode> | undefined {
  const plan = running.get(document)?.plan;
  const previous = recorded.get(document)?.reads.get(flow);
  const byName = nameIndexOf(document);
  if (!plan || plan.flow !== flow || !previous || !byName) return undefined;
  const candidates = new Set<AstNode>();
  for (const n of plan.edited) {
    if (ast.isStep(n)) candidates.add(n);
    else if (n.$type === 'NameRef' && ast.isNameRef(n) && n.ref?.ref) candidates.add(n.ref.ref);
  }
  for (const step of nodesOfKind(flow, STEPS) as ast.Step[]) if (step.name !== undefined && plan.names.has(step.name)) candidates.add(step);
  const reads = new Set(previous);
  for (const candidate of candidates) {
    reads.delete(candidate);
    const name = (candidate as { name?: unknown }).name;
    if (typeof name !== 'string') continue;
    const readHere = (byName.get(name) ?? []).some((info) => {
      const c = info.container;
      return c.$type === 'NameRef' && ast.isNameRef(c) && c.ref === info.reference && c.ref.ref === candidate && topLevelElement(c) === flow;
    });
    if (readHere) reads.add(candidate);
  }
  for (const target of read) reads.add(target);
  return reads;
}

/** A flow's names: how many of its named statements (NAMED_STATEMENTS) have each, and those an earlier one has, in order. */
export interface FlowNames {
  counts: Map<string, number>;
  duplicates: readonly AstNode[];
}

/**
 * The named statements of `flow` whose name an earlier one has (the duplicate-name check), in document order: after
 * an incremental flow check, from the previous validation's counts patched for the replaced statement's names —
 * when every name it took out or put in was held by at most one statement before and after, nothing else can have
 * become or stopped being a duplicate, and the previous duplicates stand (none lay in the replaced statement: its
 * names were single) —, else `compute()`. The result is recorded for the next validation.
 */
export function flowDuplicateNames(flow: ast.FlowDecl, compute: () => FlowNames): readonly AstNode[] {
  const document = AstUtils.getDocument(flow);
  const run = running.get(document);
  const plan = run?.plan;
  const previous = recorded.get(document)?.names.get(flow);
  const names = (plan?.flow === flow && previous && patchedNames(previous, plan)) || compute();
  run?.recording.names.set(flow, names);
  return names.duplicates;
}

/** `previous` patched for `plan`'s replaced statement (in place: the previous record is not read again), or undefined. */
function patchedNames(previous: FlowNames, plan: NonNullable<Run['plan']>): FlowNames | undefined {
  const change = new Map<string, number>();
  const count = (nodes: readonly AstNode[], by: number) => {
    for (const n of nodes) {
      const name = (n as { name?: unknown }).name;
      if (typeof name === 'string' && NAMED_STATEMENTS.test(n)) change.set(name, (change.get(name) ?? 0) + by);
    }
  };
  count(plan.removed, -1);
  count(plan.added, 1);
  const { counts } = previous;
  for (const [name, by] of change) {
    const before = counts.get(name) ?? 0;
    if (before > 1 || before + by > 1) return undefined;
  }
  for (const [name, by] of change) {
    const after = (counts.get(name) ?? 0) + by;
    if (after > 0) counts.set(name, after);
    else counts.delete(name);
  }
  return previous;
}

/** Above this many references to look at, the linking errors are found by going through every reference. */
const LINK_ERROR_CANDIDATES = 64;

/**
 * The references of `document` that may have a linking error, in `document.references` order, when fewer than every
 * reference: after one incremental re-link since the last validation, those that had one then (and are still there)
 * and those linked again since. Undefined: look at every reference.
 */
export function linkingErrorCandidates(document: LangiumDocument): readonly unknown[] | undefined {
  const plan = running.get(document)?.plan;
  const previous = recorded.get(document)?.linkingErrors;
  if (!plan || !previous || previous.length + plan.relinked.size > LINK_ERROR_CANDIDATES) return undefined;
  const references = document.references as readonly unknown[];
  const at = new Map<unknown, number>();
  for (const reference of [...previous, ...plan.relinked]) {
    if (at.has(reference)) continue;
    const index = references.indexOf(reference);
    if (index >= 0) at.set(reference, index);
  }
  return [...at.keys()].sort((a, b) => at.get(a)! - at.get(b)!);
}

/** Records the references of `document` with a linking error, in `document.references` order (see {@link linkingErrorCandidates}). */
export function recordLinkingErrors(document: LangiumDocument, references: readonly unknown[]): void {
  const run = running.get(document);
  if (run) run.recording.linkingErrors = references;
}

/** Calls of a check that made none. */
const NONE: readonly Accepted[] = [];

/**
 * The per-node checks' side of it (BatonDocumentValidator.validateAstNodes): which checks' calls are replayed from
 * the previous validation instead of running the check (see BatonValidationRegistry.markReusable), and the
 * recording for the next. `key` identifies the checks run (their categories and the registry's state): results
 * recorded under another key are not reused.
 */
export class NodeCheckRun {
  private readonly results: NodeResults = new Map();
  private readonly touched = new Map<(node: AstNode) => boolean, boolean>();
  private readonly reuse: { dirty: ReadonlySet<AstNode>; edited: readonly AstNode[]; statement: AstNode; previous: NodeResults; parseErrors: boolean } | undefined;
  private readonly run: Run | undefined;

  constructor(
    document: LangiumDocument,
    private readonly key: string,
  ) {
    this.run = running.get(document);
    const plan = this.run?.plan;
    const before = recorded.get(document);
    this.reuse = plan && before?.nodeChecks?.key === key ? { dirty: plan.dirty, edited: plan.edited, statement: plan.statement, previous: before.nodeChecks.results, parseErrors: before.parseErrors } : undefined;
  }

  /** The calls to replay for check number `index` of `node` (maybe none), or undefined when the check must run. */
  replay(node: AstNode, index: number, how: CheckReuse | undefined): readonly Accepted[] | undefined {
    const reuse = this.reuse;
    if (!reuse || !how) return undefined;
    if (how === 'local') {
      if (reuse.dirty.has(node)) return undefined;
    } else if (typeof how === 'object') {
      // the previous check may have stopped early on a parse error (the nesting check does)
      if (reuse.parseErrors || reuse.previous.get(node)?.[index]?.length) return undefined;
      let made = false;
      how.statement(reuse.statement, () => {
        made = true;
      });
      if (made) return undefined;
    } else {
      let touched = this.touched.get(how);
      if (touched === undefined) this.touched.set(how, (touched = reuse.edited.some(how)));
      if (touched) return undefined;
    }
    incrementalNodeChecks.count++;
    return reuse.previous.get(node)?.[index] ?? NONE;
  }

  /** Records one call of check number `index` of `node`. */
  record(node: AstNode, index: number, args: Accepted): void {
    let calls = this.results.get(node);
    if (!calls) this.results.set(node, (calls = []));
    (calls[index] ??= []).push(args);
  }

  /** The node loop completed (every check ran or was replayed, none asynchronously): the recording may be kept. */
  complete(): void {
    if (this.run) this.run.recording.nodeChecks = { key: this.key, results: this.results };
  }
}

/** How many per-node check calls were replayed since the process started (tests assert the path is taken). */
export const incrementalNodeChecks = { count: 0 };
