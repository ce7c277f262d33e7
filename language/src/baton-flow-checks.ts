import type { AstNode, LangiumDocuments, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { describeType } from '@baton/protocol';
import type { BatonServices } from './baton-module.js';
import { IssueCodes } from './baton-issue-codes.js';
import { BatonTypeSystem, broadKind, fieldNames, literalValues, memberType } from './baton-type-system.js';
import { toTypeRef } from './baton-types.js';
import { testFlow } from './baton-scope-provider.js';
import * as ast from './generated/ast.js';
import { astNodes, byNodeType, nodesOfKind, someSubtreeNode, subtreeNodes } from './baton-ast-walk.js';
import { NAME_REFS, NAMED_STATEMENTS, STEPS } from './baton-node-kinds.js';
import { endsBlock, isCancelledStep, isEndedEarly } from './baton-region-checks.js';
import { checkAssign, checkVar, checkVarsSetConcurrently, checkWaitUntil } from './baton-state-checks.js';
import { checkFlowNodes, flowDuplicateNames, flowReads } from './baton-incremental-validation.js';

/** One link from a container to a child: `container.property[index]`. */
interface Link {
  container: AstNode;
  property: string;
  index: number | undefined;
}

/** Words in an agent's name or instructions that name a side effect (see docs/language.md). */
const SIDE_EFFECT_WORDS = /\b(send|sends|notif|post|page|publish|write|create|open|update|delete|deploy|migrat|roll|freeze|drain|restore|file|pay|charge|mail|message|operat|track|add|implement|run|audit|plan)/i;

/**
 * Checks of a flow's body (spec section 4): a step read before it can have run (later in the flow, in a
 * sibling `parallel` branch, in another branch of an `if`/`switch`, or possibly skipped without `??` or a
 * status check), a `let` value or loop variable read where it has no value, unknown fields, type
 * mismatches (comparisons, arithmetic, `switch` cases, `set output`), `foreach` over a non-list,
 * statements after `fail`, and unread step outputs.
 *
 * Guard rule for a step that may not have run (inside an `if`/`switch` branch, or with `when:`): reading
 * it is fine as `x.status` or `x.error`; as the left side of `??`; on the right of `&&` whose left side
 * reads `x.status`; in a `?:` whose test reads `x.status`; or inside an `if` whose condition reads
 * `x.status`. A step of a `foreach` read after its loop is the list of its iterations: empty when the loop
 * did not run, so a branch around the loop needs no guard; a branch or `when:` inside the loop body makes
 * each iteration `x[i]` follow the rule above, while the list as a whole (`len(x)`) needs none.
 */
export class BatonFlowChecks {
  private readonly documents: LangiumDocuments;

  constructor(services: BatonServices) {
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  checkFlow = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => {
    const types = new BatonTypeSystem(this.documents);
    this.checkDuplicateNames(flow, accept);
    const referenced = new Set<AstNode>();
    const incremental = checkFlowNodes(flow, () => subtreeNodes(flow), accept, (node, acceptHere) => this.checkFlowNode(flow, node, types, referenced, acceptHere));
    checkVarsSetConcurrently(flow, accept);
    // incremental: `referenced` holds what the re-checked nodes read; the others' reads come from the previous check
    const reads = flowReads(flow, referenced, incremental, () => {
      for (const node of nodesOfKind(flow, NAME_REFS) as ast.NameRef[]) if (node.ref?.ref) referenced.add(node.ref.ref);
      return referenced;
    });
    this.checkUnusedOutputs(flow, (step) => reads.has(step), accept);
  };

  /** The flow check of one node of `flow` (the names read, order, scope, types, unreachable statements). */
  private checkFlowNode(flow: ast.FlowDecl, node: AstNode, types: BatonTypeSystem, referenced: Set<AstNode>, accept: ValidationAcceptor): void {
    if (!isCheckedInFlow(node)) return;
    if (ast.isNameRef(node)) {
      const target = node.ref?.ref;
      if (target) referenced.add(target);
      if (ast.isStep(target) || ast.isApprovalStatement(target) || ast.isWaitStatement(target) || ast.isRegionStatement(target)) this.checkOrder(node, target, accept);
      else if (ast.isLetStatement(target) || ast.isVarStatement(target) || ast.isLoopVariable(target)) this.checkValueInScope(node, target, accept);
    } else if (ast.isMemberAccess(node)) {
      this.checkMember(node, types, accept);
    } else if (ast.isBinaryExpression(node)) {
      this.checkBinary(node, types, accept);
    } else if (ast.isForeachStatement(node) && node.items) {
      const kind = broadKind(types.typeOf(node.items));
      if (kind && kind !== 'list') accept('error', `foreach needs a list, but this is ${describeType(types.typeOf(node.items))}`, { node: node.items, code: IssueCodes.ForeachNotList });
    } else if (ast.isSetStatement(node)) {
      if (node.output) this.checkSet(node, types, accept);
      else {
        const target = checkAssign(node, types, accept);
        if (target) this.checkValueInScope(node, target, accept);
      }
    } else if (ast.isVarStatement(node)) {
      checkVar(node, types, accept);
    } else if (ast.isWaitStatement(node) && node.isUntil) {
      checkWaitUntil(node, flow, accept);
    } else if (ast.isSwitchStatement(node)) {
      this.checkSwitch(node, types, accept);
    }
    this.checkUnreachable(node, accept);
  }

  /**
   * Whether `target` (a step, approval, `let` value or loop variable) can be read by a name placed at
   * `position` — the node a new reference would go in (used by completion). The same rules as the
   * checker's; a possibly skipped step counts as readable (it is read with `??` or a status check).
   */
  isReadableAt(position: AstNode, target: AstNode): boolean {
    let readable = true;
    const accept = ((severity: string, _message: string, info: { code?: string }) => {
      if (severity === 'error' && info.code !== IssueCodes.StepMaybeSkipped) readable = false;
    }) as unknown as ValidationAcceptor;
    const probe = { $type: 'NameRef', $container: position, $containerProperty: 'completion', ref: { ref: target, $refText: '' } } as unknown as ast.NameRef;
    try {
      if (ast.isStep(target) || ast.isApprovalStatement(target) || ast.isWaitStatement(target) || ast.isRegionStatement(target)) this.checkOrder(probe, target, accept);
      else if (ast.isLetStatement(target) || ast.isVarStatement(target) || ast.isLoopVariable(target)) this.checkValueInScope(probe, target, accept);
    } catch {
      return true; // a half-written document: offer the name rather than hide it
    }
    return readable;
  }

  /** A test's `expect` reads the flow's top-level scope at the end of the run: no loop variables, no `let` values of a loop body. */
  checkTestNames = (test: ast.TestDecl, accept: ValidationAcceptor): void => {
    for (const ref of astNodes(test).filter(ast.isNameRef)) {
      const target = ref.ref?.ref;
      if (ast.isLoopVariable(target)) {
        accept('error', `\`${target.name}\` is the variable of a \`foreach\` (line ${line(target.$container)}), so it exists only inside that loop's body, not after the run`, { node: ref, code: IssueCodes.NotInScope });
      } else if ((ast.isLetStatement(target) || ast.isVarStatement(target)) && chain(target).some(isLoopBodyLink)) {
        accept('error', `\`${target.name}\` is ${ast.isVarStatement(target) ? 'declared' : 'set'} inside a loop (line ${line(target)}) and exists only in that loop's body, not after the run`, { node: ref, code: IssueCodes.NotInScope });
      }
    }
  };

  // ------------------------------------------------------------------ names

  private checkDuplicateNames(flow: ast.FlowDecl, accept: ValidationAcceptor): void {
    type Named = ast.Step | ast.ApprovalStatement | ast.LetStatement | ast.VarStatement | ast.LoopVariable | ast.WaitStatement | ast.RegionStatement;
    const duplicates = flowDuplicateNames(flow, () => {
      const counts = new Map<string, number>();
      const duplicates: Named[] = [];
      for (const node of nodesOfKind(flow, NAMED_STATEMENTS) as Named[]) {
        if (node.name === undefined) continue; // an unnamed wait
        const count = counts.get(node.name) ?? 0;
        if (count > 0) duplicates.push(node);
        counts.set(node.name, count + 1);
      }
      return { counts, duplicates };
    }) as readonly Named[];
    for (const node of duplicates) {
      accept('error', `duplicate name \`${node.name}\`: a step, approval, event wait, region, let value, var or loop variable of this flow already has it`, { node, property: 'name', code: IssueCodes.DuplicateName });
    }
  }

  // ------------------------------------------------------------------ order of execution

  private checkOrder(ref: ast.NameRef, target: ast.Step | ast.ApprovalStatement | ast.WaitStatement | ast.RegionStatement, accept: ValidationAcceptor): void {
    const name = target.name;
    const refChain = chain(ref);
    const targetChain = chain(target);
    let k = 0;
    while (k < refChain.length && k < targetChain.length && sameLink(refChain[k], targetChain[k])) k++;
    if (k >= targetChain.length) {
      // an approval's (or event wait's) own `on timeout` branch runs after it ended (as "timeout"): it may read it
      if (AstUtils.getContainerOfType(ref, ast.isTimeoutBranch)?.$container === target) return;
      // a `wait first` arm's body runs once the arm came first: it reads the arm (`payment.data`, `write_off.output`)
      if (isChoiceArm(target) && refChain[k]?.property === 'body') return;
      if (ast.isRegionStatement(target)) {
        // a region's `on cancel` runs after it ended (as "cancelled"): it may read its status
        if (!AstUtils.getContainerOfType(ref, ast.isCancelBranch)) accept('error', `region \`${name}\` has no status inside itself: it is read after the region ends`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
        return;
      }
      // the reference is inside the step itself
      if (!AstUtils.getContainerOfType(ref, ast.isCompensateProperty)) {
        accept('error', `step \`${name}\` reads its own result before it has run (only its \`compensate:\` may)`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
      }
      return;
    }
    if (k >= refChain.length) return;
    const r = refChain[k];
    const t = targetChain[k];
    const container = r.container;
    if (ast.isParallelStatement(container) && r.property === 'branches' && t.property === 'branches') {
      accept('error', `step \`${name}\` runs in a sibling branch of this \`parallel\`, so its output is not available here`, { node: ref, code: IssueCodes.StepInSiblingBranch });
      return;
    }
    if (isChoice(container) && r.property === 'arms' && t.property === 'arms') {
      accept('error', `\`${name}\` is in another arm of this \`wait first\`, which never runs when this one does (only the first arm to come runs)`, { node: ref, code: IssueCodes.StepInSiblingBranch });
      return;
    }
    // a partial join's condition reads the block's steps: a `foreach`'s in the iteration that just ended; a
    // `parallel`'s while other branches may not have ended (read them with a status check or `??`)
    if ((ast.isParallelStatement(container) || ast.isForeachStatement(container)) && r.property === 'join' && (t.property === 'branches' || t.property === 'body')) {
      if (ast.isParallelStatement(container) && !isGuarded(ref, target)) {
        accept('error', `step \`${name}\` may not have ended when this join condition is evaluated (after each branch ends); read it with \`??\` or check \`${name}.status\` first`, { node: ref, code: IssueCodes.StepMaybeSkipped });
      }
      return;
    }
    if (r.property === t.property && r.index !== undefined && t.index !== undefined) {
      if (t.index > r.index) {
        accept('error', `step \`${name}\` runs later in the flow, so its output is not available here`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
        return;
      }
      // the target ran earlier in this block: was it possibly skipped? Read after its `foreach` loops (those not
      // around this read), a step is the list of the loops' iterations (a list of lists for nested loops): a
      // branch around a loop that did not run leaves its list empty, which reads fine; only a branch (or
      // `when:`) inside the innermost loop's body can leave an iteration's step skipped.
      const inner = targetChain.slice(k + 1);
      const loops = inner.filter((l) => ast.isForeachStatement(l.container) && l.property === 'body').length;
      const innermost = inner.map((l) => ast.isForeachStatement(l.container) && l.property === 'body').lastIndexOf(true);
      // an iteration of a `foreach` with a partial join may have been withdrawn (or never started)
      const innermostLoop = innermost >= 0 ? inner[innermost].container : undefined;
      const inBranch = inner.slice(innermost + 1).some((l) => isBranchLink(l)) || (ast.isForeachStatement(innermostLoop) && innermostLoop.join !== undefined);
      const when = hasWhen(target);
      if ((inBranch || when) && !(loops > 0 ? isIterationGuarded(ref, target, loops) : isGuarded(ref, target))) {
        const why = inBranch && when ? 'it is inside a branch and has `when:`' : inBranch ? 'it is inside a branch' : 'it has `when:`';
        if (loops > 0) {
          accept('error', `step \`${name}\` may not have run in every iteration of its \`foreach\` (${why}); read an iteration with \`??\` (e.g. \`${name}[0].output.x ?? default\`) or check its \`status\` first (\`${name}[0].status\`)`, { node: ref, code: IssueCodes.StepMaybeSkipped });
        } else {
          accept('error', `step \`${name}\` may not have run (${why}); read it with \`??\` (e.g. \`${name}.output.x ?? default\`) or check \`${name}.status\` first`, { node: ref, code: IssueCodes.StepMaybeSkipped });
        }
      }
      return;
    }
    if (ast.isRepeatStatement(container) && r.property === 'until') return; // the body ran before `until`
    if (ast.isIfStatement(container) || ast.isSwitchStatement(container) || ast.isSwitchCase(container)) {
      if (isConditionProperty(r.property)) {
        accept('error', `step \`${name}\` runs inside this ${ast.isIfStatement(container) ? '`if`' : '`switch`'}, after its condition is evaluated, so it has not run here`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
      } else {
        accept('error', `step \`${name}\` is in another branch of this ${ast.isIfStatement(container) ? '`if`' : '`switch`'}, so it never runs when this code does`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
      }
      return;
    }
    accept('error', `step \`${name}\` has not run yet at this point`, { node: ref, code: IssueCodes.StepUsedBeforeRun });
  }

  /**
   * A `let` value or loop variable must have a value where it is read: the runtime keeps `let` values in
   * the scope of the block's `foreach`/`repeat` iteration (or the flow), and a loop variable only in its
   * iteration, so reading one anywhere else stops the run with "unknown name".
   */
  private checkValueInScope(ref: ast.NameRef | ast.SetStatement, target: ast.LetStatement | ast.VarStatement | ast.LoopVariable, accept: ValidationAcceptor): void {
    const name = target.name;
    const set = ast.isVarStatement(target) ? 'declared' : 'set';
    const node = (ast.isSetStatement(ref) ? { node: ref, property: 'variable' } : { node: ref }) as { node: ast.NameRef };
    if (ast.isLoopVariable(target)) {
      const loop = target.$container;
      if (!loop.body.some((statement) => isInside(ref, statement)) && !(loop.join && isInside(ref, loop.join))) {
        accept('error', `\`${name}\` is the variable of a \`foreach\` (line ${line(loop)}), so it exists only inside that loop's body`, { node: ref, code: IssueCodes.NotInScope });
      }
      return;
    }
    const refChain = chain(ref);
    const targetChain = chain(target);
    let k = 0;
    while (k < refChain.length && k < targetChain.length && sameLink(refChain[k], targetChain[k])) k++;
    if (k >= targetChain.length) {
      accept('error', `\`${ast.isVarStatement(target) ? 'var' : 'let'} ${name}\` reads \`${name}\` before it is ${set}`, { ...node, code: IssueCodes.NotInScope });
      return;
    }
    if (k >= refChain.length) return;
    const r = refChain[k];
    const t = targetChain[k];
    const container = r.container;
    const at = `(line ${line(target)})`;
    if (ast.isParallelStatement(container) && r.property === 'branches' && t.property === 'branches') {
      accept('error', `\`${name}\` is ${set} in a sibling branch of this \`parallel\` ${at}, so it may have no value here`, { ...node, code: IssueCodes.NotInScope });
      return;
    }
    const setEarlier = (r.property === t.property && r.index !== undefined && t.index !== undefined && t.index < r.index) || (ast.isRepeatStatement(container) && r.property === 'until' && t.property === 'body');
    if (setEarlier) {
      // set before this point: but maybe only inside a loop (gone after it) or a branch (maybe never set)
      const inner = targetChain.slice(k + 1);
      if (inner.some((l) => isLoopBodyLink(l))) {
        accept('error', `\`${name}\` is ${set} inside a loop ${at}, so it exists only in that loop's body; after the loop, read the loop's steps instead (\`step[0].output\`, \`len(step)\`)`, { ...node, code: IssueCodes.NotInScope });
      } else if (inner.some((l) => isBranchLink(l))) {
        accept('error', `\`${name}\` is ${set} inside a branch ${at}, so it has no value when that branch did not run; compute it outside the branch instead (e.g. \`let x = cond ? a : b\`)`, { ...node, code: IssueCodes.NotInScope });
      }
      return;
    }
    if (r.property === t.property && r.index !== undefined && t.index !== undefined) {
      accept('error', `\`${name}\` is ${set} later in the flow ${at}, so it has no value here`, { ...node, code: IssueCodes.NotInScope });
      return;
    }
    if ((ast.isIfStatement(container) || ast.isSwitchStatement(container) || ast.isSwitchCase(container)) && !isConditionProperty(r.property)) {
      accept('error', `\`${name}\` is ${set} in another branch of this ${ast.isIfStatement(container) ? '`if`' : '`switch`'} ${at}, so it has no value when this code runs`, { ...node, code: IssueCodes.NotInScope });
      return;
    }
    accept('error', `\`${name}\` is ${set} further down ${at}, so it has no value here`, { ...node, code: IssueCodes.NotInScope });
  }

  // ------------------------------------------------------------------ types

  private checkMember(node: ast.MemberAccess, types: BatonTypeSystem, accept: ValidationAcceptor): void {
    const receiverType = types.typeOf(node.receiver);
    if (memberType(receiverType, node.member) !== undefined) return;
    if (receiverType.kind === 'list' && ['output', 'status', 'error', 'duration', 'tokens', 'attempts'].includes(node.member)) {
      const name = ast.isNameRef(node.receiver) ? node.receiver.ref?.$refText : 'this step';
      accept('error', `after its foreach, \`${name}\` is the list of its iterations: use \`${name}[0].${node.member}\` or \`len(${name})\``, { node, property: 'member', code: IssueCodes.UnknownField });
      return;
    }
    const fields = fieldNames(receiverType);
    const callee = subflowOf(node.receiver);
    if (callee && fields) {
      accept('error', `flow \`${callee.name}\` has no output \`${node.member}\`; ${fields.length ? `its outputs are ${fields.join(', ')}` : 'it declares no outputs'}`, { node, property: 'member', code: IssueCodes.UnknownField });
      return;
    }
    const what = describeReceiver(node.receiver);
    accept(
      'error',
      fields
        ? `${what} has no field \`${node.member}\`; it has ${fields.join(', ') || 'no fields'}`
        : `${what} is ${describeType(receiverType)}, which has no field \`${node.member}\``,
      { node, property: 'member', code: IssueCodes.UnknownField },
    );
  }

  private checkBinary(node: ast.BinaryExpression, types: BatonTypeSystem, accept: ValidationAcceptor): void {
    const op = node.op;
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      const l = types.typeOf(node.left);
      const r = types.typeOf(node.right);
      const lk = broadKind(l);
      const rk = broadKind(r);
      if (lk && rk && lk !== rk) {
        accept('error', `cannot compare ${describeType(l)} with ${describeType(r)}: the two sides never match`, { node, code: IssueCodes.TypeMismatch });
        return;
      }
      if (op === '==' || op === '!=') {
        const lv = literalValues(l);
        const rv = literalValues(r);
        if (lv && rv && !lv.some((v) => rv.includes(v))) {
          const [wide, single] = lv.length >= rv.length ? [node.left, rv] : [node.right, lv];
          accept('error', `\`${AstUtils.getDocument(node).textDocument.getText(wide.$cstNode!.range)}\` is ${describeType(lv.length >= rv.length ? l : r)}, never ${single.map((v) => JSON.stringify(v)).join(' | ')}`, { node: wide === node.left ? node.right : node.left, code: IssueCodes.TypeMismatch });
        }
      } else if (lk && !['number', 'string'].includes(lk)) {
        accept('error', `\`${op}\` compares numbers or text, not ${describeType(l)}`, { node: node.left, code: IssueCodes.TypeMismatch });
      }
      return;
    }
    if (['-', '*', '/', '%'].includes(op)) {
      for (const side of [node.left, node.right]) {
        const kind = broadKind(types.typeOf(side));
        if (kind && kind !== 'number') {
          accept('error', `\`${op}\` needs numbers, but this is ${describeType(types.typeOf(side))}`, { node: side, code: IssueCodes.TypeMismatch });
          return;
        }
      }
    }
  }

  /** Each `case` value must be something the `switch` subject can equal. */
  private checkSwitch(node: ast.SwitchStatement, types: BatonTypeSystem, accept: ValidationAcceptor): void {
    const subject = types.typeOf(node.subject);
    const sk = broadKind(subject);
    const allowed = literalValues(subject);
    if (!sk) return;
    const subjectText = node.subject?.$cstNode?.text ?? 'the subject';
    for (const c of node.cases) {
      for (const value of c.values) {
        const type = types.typeOf(value);
        const vk = broadKind(type);
        const given = literalValues(type);
        if (vk && vk !== sk) {
          accept('error', `this case never matches: \`${subjectText}\` is ${describeType(subject)}, but this is ${describeType(type)}`, { node: value, code: IssueCodes.TypeMismatch });
        } else if (allowed && given && !given.some((v) => allowed.includes(v))) {
          accept('error', `this case never matches: \`${subjectText}\` is ${describeType(subject)}, never ${given.map((v) => JSON.stringify(v)).join(' | ')}`, { node: value, code: IssueCodes.TypeMismatch });
        }
      }
    }
  }

  private checkSet(node: ast.SetStatement, types: BatonTypeSystem, accept: ValidationAcceptor): void {
    const output = node.output?.ref;
    if (!output) return;
    const declared = toTypeRef(output.type);
    const value = types.typeOf(node.value);
    const dk = broadKind(declared);
    const vk = broadKind(value);
    if (dk && vk && dk !== vk) {
      accept('error', `output \`${output.name}\` is ${describeType(declared)}, but this value is ${describeType(value)}`, { node: node.value, code: IssueCodes.TypeMismatch });
      return;
    }
    const allowed = literalValues(declared);
    const given = literalValues(value);
    if (allowed && given && given.some((v) => !allowed.includes(v))) {
      accept('error', `output \`${output.name}\` is ${describeType(declared)}, never ${given.map((v) => JSON.stringify(v)).join(' | ')}`, { node: node.value, code: IssueCodes.TypeMismatch });
    }
  }

  // ------------------------------------------------------------------ statements

  private checkUnreachable(node: AstNode, accept: ValidationAcceptor): void {
    const ends = endsBlock(node);
    if (ends && node.$containerIndex !== undefined) {
      const next = ((node.$container as unknown as Record<string, unknown>)[node.$containerProperty!] as AstNode[] | undefined)?.[node.$containerIndex + 1];
      if (next) accept('error', `this statement can never run: ${ends}`, { node: next, code: IssueCodes.UnreachableStatement });
      return;
    }
    if (!ast.isFailStatement(node) || node.$containerIndex === undefined) return;
    const list = (node.$container as unknown as Record<string, unknown>)[node.$containerProperty!] as AstNode[] | undefined;
    const next = list?.[node.$containerIndex + 1];
    if (next && !ast.isParallelStatement(node.$container)) {
      accept('error', 'this statement can never run: the `fail` above always ends the run', { node: next, code: IssueCodes.UnreachableStatement });
    }
  }

  /** `isRead(step)`: whether a name in the flow reads `step`. */
  private checkUnusedOutputs(flow: ast.FlowDecl, isRead: (step: ast.Step) => boolean, accept: ValidationAcceptor): void {
    const steps = (nodesOfKind(flow, STEPS) as ast.Step[]).filter((s) => !isRead(s));
    if (steps.length === 0) return;
    const readByTests = new Set<AstNode>();
    for (const doc of this.documents.all) {
      for (const test of (doc.parseResult.value as ast.Document).elements.filter(ast.isTestDecl)) {
        if (testFlow(test) !== flow) continue;
        for (const n of astNodes(test)) if (ast.isNameRef(n) && n.ref?.ref) readByTests.add(n.ref?.ref);
      }
    }
    for (const step of steps) {
      if (readByTests.has(step)) continue;
      const target = step.target?.ref;
      if (!ast.isAgentDecl(target)) continue;
      const output = target.properties.find(ast.isOutputTypeProperty);
      if (!output) continue; // no output declared: the step is for its effect
      if (output.isFlow && referencedByRun(flow, step)) continue; // a generated flow is read by `step s: run <step>`
      const instructions = target.properties.find(ast.isInstructionsProperty);
      const text = `${target.name} ${instructions ? AstUtils.getDocument(instructions).textDocument.getText(instructions.$cstNode!.range) : ''}`;
      if (SIDE_EFFECT_WORDS.test(text)) continue;
      accept('warning', `the output of step \`${step.name}\` is never read, and agent \`${target.name}\` names no side effect; read \`${step.name}.output\`, drop the step, or, if the step is for its effect, name the effect in the agent's \`instructions\` (send, update, create, notify, …) or remove its \`output\``, { node: step, property: 'name', code: IssueCodes.UnusedStepOutput });
    }
  }
}

/** Links from the document root down to `node`. */
function chain(node: AstNode): Link[] {
  const links: Link[] = [];
  for (let n: AstNode = node; n.$container; n = n.$container) {
    links.push({ container: n.$container, property: n.$containerProperty ?? '', index: n.$containerIndex });
  }
  return links.reverse();
}

function sameLink(a: Link, b: Link): boolean {
  return a.container === b.container && a.property === b.property && a.index === b.index;
}

/**
 * A link that enters one branch of an `if`/`switch`, an `on timeout`, a partial join's `parallel`, an arm of a
 * `wait first`, the body of a `lock` that has an `on timeout`, a region's `on cancel` or the body of a region that a
 * `cancel`/`complete` ends early (so what is below it may be skipped, or withdrawn).
 */
function isBranchLink(l: Link): boolean {
  if (ast.isIfStatement(l.container)) return l.property === 'body' || l.property === 'elseBody' || l.property === 'elseIf';
  if (ast.isTimeoutBranch(l.container)) return l.property === 'body';
  // a region's `on cancel` runs only when it was cancelled; its body may be withdrawn when a `cancel`/`complete` ends it
  if (ast.isCancelBranch(l.container)) return l.property === 'body';
  if (ast.isRegionStatement(l.container)) return l.property === 'body' && isEndedEarly(l.container);
  // a lock's body does not run when its `on timeout` does
  if (ast.isLockStatement(l.container)) return l.property === 'body' && l.container.timeoutBranch !== undefined;
  if (ast.isSwitchStatement(l.container)) return l.property === 'cases' || l.property === 'defaultBody';
  // a branch of a partial join may have been withdrawn (or still run, with `keep`) when the block ends
  if (ast.isParallelStatement(l.container)) return l.property === 'branches' && l.container.join !== undefined;
  // an arm of a `wait first` (and what its body does) runs only when it came first
  if (isChoice(l.container)) return l.property === 'arms';
  return false;
}

/** A `wait first { … }`. */
function isChoice(node: AstNode): node is ast.WaitStatement {
  return ast.isWaitStatement(node) && node.isFirst;
}

/** An arm of a `wait first` (an event, approval, timer or signal arm). */
function isChoiceArm(node: AstNode): boolean {
  return node.$containerProperty === 'arms' && isChoice(node.$container!);
}

/** A link that enters the body of a `foreach` or `repeat` (whose `let` values live only in one iteration). */
function isLoopBodyLink(l: Link): boolean {
  return (ast.isForeachStatement(l.container) || ast.isRepeatStatement(l.container)) && l.property === 'body';
}

/** 1-based line where `node` starts (for messages). */
function line(node: AstNode): number {
  return (node.$cstNode?.range.start.line ?? 0) + 1;
}

function isInside(node: AstNode, container: AstNode): boolean {
  for (let n: AstNode | undefined = node; n; n = n.$container) if (n === container) return true;
  return false;
}

function isConditionProperty(property: string): boolean {
  return property === 'condition' || property === 'subject' || property === 'values';
}

/** The nodes checkFlow looks at (the rest only contain them). */
const isCheckedInFlow = byNodeType(
  (n) => ast.isNameRef(n) || ast.isMemberAccess(n) || ast.isBinaryExpression(n) || ast.isForeachStatement(n) || ast.isSetStatement(n) || ast.isSwitchStatement(n) || ast.isFailStatement(n) || ast.isVarStatement(n) || ast.isWaitStatement(n) || ast.isCancelStatement(n) || ast.isCompleteStatement(n),
);

/** Whether the step has `when:` — or may end `cancelled` (a `cancel` of it): it may not have run. */
function hasWhen(target: ast.Step | ast.ApprovalStatement | ast.WaitStatement | ast.RegionStatement): boolean {
  return ast.isStep(target) && (target.properties.some(ast.isWhenProperty) || isCancelledStep(target));
}

/** Whether expression `e` reads `target.status`. */
function readsStatus(e: AstNode | undefined, target: AstNode): boolean {
  if (!e) return false;
  return someSubtreeNode(
    e,
    (n) =>
      ast.isMemberAccess(n) &&
      n.member === 'status' &&
      ((ast.isNameRef(n.receiver) && n.receiver.ref?.ref === target) ||
        // an iteration's status: `x[i].status`
        (ast.isIndexAccess(n.receiver) && ast.isNameRef(n.receiver.receiver) && n.receiver.receiver.ref?.ref === target)),
  );
}

/**
 * The guard rule for a read of a `foreach` step's list (`ref` names the list; `loops` nested loops make a list
 * of lists) whose iterations may have skipped the step: a list as a whole (`len(x)`, `x ?? []`, `x[i]` of an
 * outer loop) is always a list; an iteration's step (`x[i]`, `x[i][j]` for two loops) follows the rule of
 * {@link isGuarded} (`x[i].status`, `x[i].output.y ?? d`, …).
 */
function isIterationGuarded(ref: ast.NameRef, target: AstNode, loops: number): boolean {
  let read: ast.Expression = ref;
  for (let depth = 0; depth < loops; depth++) {
    const parent: AstNode | undefined = read.$container;
    if (!(ast.isIndexAccess(parent) && parent.receiver === read)) return true;
    read = parent;
  }
  return isGuarded(read, target);
}

/** Whether `read` (a name, or an iteration `x[i]`, of a step that may not have run) is guarded (see the class's guard rule). */
function isGuarded(read: ast.Expression, target: AstNode): boolean {
  const parent = read.$container;
  if (ast.isMemberAccess(parent) && (parent.member === 'status' || parent.member === 'error')) return true;
  let child: AstNode = read;
  for (let n: AstNode | undefined = read.$container; n; child = n, n = n.$container) {
    if (ast.isBinaryExpression(n)) {
      if (n.op === '??' && child === n.left) return true;
      if (n.op === '&&' && child === n.right && readsStatus(n.left, target)) return true;
    } else if (ast.isConditionalExpression(n) && child !== n.test && readsStatus(n.test, target)) {
      return true;
    } else if (ast.isIfStatement(n) && child.$containerProperty !== 'condition' && readsStatus(n.condition, target)) {
      return true;
    } else if (ast.isFlowDecl(n)) {
      return false;
    }
  }
  return false;
}

/** The flow `node` is the outputs of, when it is `step.output` of a sub-flow call. */
function subflowOf(node: ast.Expression): ast.FlowDecl | undefined {
  if (ast.isMemberAccess(node) && node.member === 'output' && ast.isNameRef(node.receiver)) {
    const target = node.receiver.ref?.ref;
    if (ast.isStep(target) && ast.isFlowDecl(target.target?.ref)) return target.target.ref;
  }
  return undefined;
}

function describeReceiver(node: ast.Expression): string {
  if (ast.isMemberAccess(node) && node.member === 'output' && ast.isNameRef(node.receiver)) {
    const target = node.receiver.ref?.ref;
    if (ast.isStep(target) && target.generated) return `the output of the flow \`${target.generated.$refText}\` generated`;
    if (ast.isStep(target)) return `agent \`${target.target?.$refText}\`'s output`;
  }
  const text = node.$cstNode?.text;
  return text ? `\`${text}\`` : 'this value';
}

/** Whether a `step s: run <step>` of `flow` runs what `step` generated. */
function referencedByRun(flow: ast.FlowDecl, step: ast.Step): boolean {
  return (nodesOfKind(flow, STEPS) as ast.Step[]).some((n) => n.generated?.ref === step);
}
