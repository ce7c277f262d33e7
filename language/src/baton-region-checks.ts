// Checks of cancellation regions and early termination: `region r { … } [on cancel { … }]`, `cancel r`, `cancel step`,
// `complete r`, `complete` (docs/language.md, "Regions, cancel and complete"). BatonFlowChecks asks the helpers at
// the end of this file where a region's steps may have been withdrawn and which statements can never run.
import type { AstNode, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { IssueCodes } from './baton-issue-codes.js';
import * as ast from './generated/ast.js';
import { nodesOfKind } from './baton-ast-walk.js';
import { CANCELS } from './baton-node-kinds.js';

/**
 * Checks of `cancel <target>` and `complete <region>`. Every diagnostic has a code from `IssueCodes` and the range
 * of the part that is wrong.
 */
export class BatonRegionChecks {
  /**
   * `cancel r` / `complete r` where `r` is not active when the statement runs (`cancel-target-not-active`, on the
   * target name): a region is active when it encloses the statement, or can run beside it (a sibling branch of a
   * `parallel`, or a branch a partial join keeps running after it went on); a step only in the latter case.
   */
  checkCancelTarget = (node: ast.CancelStatement | ast.CompleteStatement, accept: ValidationAcceptor): void => {
    const target = node.target?.ref;
    if (!target) return;
    if (isActiveAt(target, node)) return;
    const verb = ast.isCancelStatement(node) ? 'cancel' : 'complete';
    const what = ast.isStep(target) ? `step \`${target.name}\`` : `region \`${target.name}\``;
    const where = ast.isStep(target)
      ? 'a step can only be cancelled from a branch running beside it (another branch of a `parallel`)'
      : 'a region can only be cancelled or completed from inside it or from a branch running beside it (another branch of a `parallel`)';
    accept('error', `\`${verb} ${target.name}\` can never find ${what} running: ${where}`, { node, property: 'target', code: IssueCodes.CancelTargetNotActive });
  };
}

/**
 * Whether `target` (a region or a step) may be running when `statement` runs: `target` encloses it, or the two are
 * in different branches of one `parallel`, or `target` is in a branch of a partial join with `keep` (still running
 * after the join went on) that comes before `statement` in the same block.
 */
export function isActiveAt(target: ast.RegionStatement | ast.Step, statement: AstNode): boolean {
  if (ast.isRegionStatement(target) && encloses(target, statement)) return true;
  const a = chain(statement);
  const b = chain(target);
  let k = 0;
  while (k < a.length && k < b.length && a[k].container === b[k].container && a[k].property === b[k].property && a[k].index === b[k].index) k++;
  if (k >= a.length || k >= b.length) return false;
  const container = a[k].container;
  if (ast.isParallelStatement(container) && a[k].property === 'branches' && b[k].property === 'branches') return true;
  // a kept branch of a partial join before the statement runs on after the join went on
  if (a[k].property === b[k].property && (a[k].index ?? 0) > (b[k].index ?? 0)) {
    return b.slice(k + 1).some((l) => ast.isParallelStatement(l.container) && l.property === 'branches' && l.container.join?.keep === true);
  }
  return false;
}

/**
 * Per flow: the regions and steps its `cancel`/`complete` statements target, and the document's text they were
 * found in (a statement-only re-parse keeps the flow's node but may add or remove a `cancel`: then they are found again).
 */
const targetsOfFlow = new WeakMap<ast.FlowDecl, { text: string; targets: Set<AstNode> }>();

/** The regions and steps some `cancel`/`complete` of `flow` targets, computed once per flow and text. */
function cancelTargets(flow: ast.FlowDecl): Set<AstNode> {
  const text = flow.$cstNode?.root.fullText ?? '';
  let entry = targetsOfFlow.get(flow);
  if (!entry || entry.text !== text) {
    const targets = new Set<AstNode>();
    for (const node of nodesOfKind(flow, CANCELS) as Array<ast.CancelStatement | ast.CompleteStatement>) if (node.target?.ref) targets.add(node.target.ref);
    entry = { text, targets };
    targetsOfFlow.set(flow, entry);
  }
  return entry.targets;
}

/** Whether some `cancel`/`complete` of its flow targets region `region` (its body's steps may not have run to the end). */
export function isEndedEarly(region: ast.RegionStatement): boolean {
  const flow = AstUtils.getContainerOfType(region, ast.isFlowDecl);
  return flow !== undefined && cancelTargets(flow).has(region);
}

/** Whether some `cancel <step>` of the step's flow targets it (it may end `cancelled`, without output). */
export function isCancelledStep(step: ast.Step): boolean {
  const flow = AstUtils.getContainerOfType(step, ast.isFlowDecl);
  return flow !== undefined && cancelTargets(flow).has(step);
}

/**
 * Why nothing after `node` in its block can run, or undefined: a bare `complete` ends the flow, `cancel r` / `complete r`
 * of a region `r` around it ends that region. Not inside a `parallel`'s branch list (the next branch is not "after").
 */
export function endsBlock(node: AstNode): string | undefined {
  if (ast.isParallelStatement(node.$container)) return undefined;
  if (ast.isCompleteStatement(node) && !node.target) return 'the `complete` above always ends the flow';
  if ((ast.isCancelStatement(node) || ast.isCompleteStatement(node)) && ast.isRegionStatement(node.target?.ref) && encloses(node.target.ref, node)) {
    return `the \`${ast.isCancelStatement(node) ? 'cancel' : 'complete'} ${node.target.ref.name}\` above always ends region \`${node.target.ref.name}\``;
  }
  return undefined;
}

/** Whether `region`'s body (not its `on cancel`) contains `node`. */
function encloses(region: ast.RegionStatement, node: AstNode): boolean {
  for (let n: AstNode | undefined = node; n?.$container; n = n.$container) {
    if (n.$container === region) return n.$containerProperty === 'body';
  }
  return false;
}

interface Link {
  container: AstNode;
  property: string;
  index: number | undefined;
}

function chain(node: AstNode): Link[] {
  const links: Link[] = [];
  for (let n: AstNode = node; n.$container; n = n.$container) links.push({ container: n.$container, property: n.$containerProperty ?? '', index: n.$containerIndex });
  return links.reverse();
}
