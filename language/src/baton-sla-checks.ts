import type { LangiumDocuments, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { formatDurationLiteral } from '@baton/protocol';
import type { BatonServices } from './baton-module.js';
import { IssueCodes } from './baton-issue-codes.js';
import { parseDuration } from './baton-value-converter.js';
import * as ast from './generated/ast.js';
import { someSubtreeNode } from './baton-ast-walk.js';

/**
 * Checks of service-level agreements: a flow's `sla 4h` member and an approval's `sla: 4h` property
 * (docs/language.md, "SLAs"). A bare number or an unknown unit is `invalid-duration` (the duration check); two of
 * them in one flow or approval is `duplicate-property`. Every diagnostic has a code from `IssueCodes` and the range
 * of the part that is wrong.
 */
export class BatonSlaChecks {
  private readonly documents: LangiumDocuments;

  constructor(services: BatonServices) {
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  /** `sla 0s` / `sla: 0m`: never met, so always breached at once (`sla-not-positive`, an error on the duration). */
  checkSla = (node: ast.SlaDecl | ast.SlaProperty, accept: ValidationAcceptor): void => {
    const duration = ast.isSlaDecl(node) ? node.duration : node.value;
    const ms = slaMs(duration);
    if (ms !== undefined && ms <= 0) {
      accept('error', `an SLA of \`${duration!.value}\` is breached the moment it starts: it must be more than 0 (e.g. 4h)`, { node: duration!, code: IssueCodes.SlaNotPositive });
    }
  };

  /**
   * An approval's `sla:` not shorter than its `timeout:` (for an arm of `wait first`: than the choice's shortest `on
   * timeout D` arm) can never be breached — the timeout decides it first (`sla-after-timeout`, a warning on the
   * `sla: …` property).
   */
  checkApprovalSla = (approval: ast.ApprovalStatement, accept: ValidationAcceptor): void => {
    const sla = approval.properties.find(ast.isSlaProperty);
    const ms = slaMs(sla?.value);
    if (!sla || ms === undefined || ms <= 0) return;
    const timeout = approvalTimeout(approval);
    if (!timeout || ms < timeout.ms) return;
    accept(
      'warning',
      `this SLA (${formatDurationLiteral(ms)}) is never breached: the approval's ${timeout.what} (${formatDurationLiteral(timeout.ms)}) ends the wait first — make the SLA shorter than the timeout`,
      { node: sla, code: IssueCodes.SlaAfterTimeout },
    );
  };

  /**
   * A flow's `sla` given twice (`duplicate-property`, on the second); a flow `sla` on a flow that is only ever
   * called as a sub-flow — a step of another flow calls it, and it has no trigger and no `test` runs it — is not
   * measured: a sub-flow call is part of its caller's run (`sla-in-subflow-only`, a warning on the `sla` line).
   */
  checkFlowSla = (flow: ast.FlowDecl, accept: ValidationAcceptor): void => {
    const slas = flow.members.filter(ast.isSlaDecl);
    for (const extra of slas.slice(1)) accept('error', 'a flow has at most one `sla`', { node: extra, code: IssueCodes.DuplicateProperty });
    const sla = slas[0];
    if (!sla || flow.members.some(ast.isTrigger)) return;
    const callers = new Set<string>();
    for (const doc of this.documents.all) {
      const tested = someSubtreeNode(doc.parseResult.value, (node) => {
        if (ast.isTestFlowProperty(node) && node.flow?.ref === flow) return true;
        if (ast.isStep(node) && node.target?.ref === flow) {
          const caller = AstUtils.getContainerOfType(node, ast.isFlowDecl);
          if (caller && caller !== flow) callers.add(caller.name);
        }
        return false;
      });
      if (tested) return;
    }
    if (callers.size === 0) return;
    const names = [...callers].sort().map((n) => `\`${n}\``).join(', ');
    accept(
      'warning',
      `flow \`${flow.name}\` is only called as a sub-flow (by ${names}): a sub-flow call is part of its caller's run, so this SLA is measured only when \`${flow.name}\` runs on its own — put the SLA on the caller, or an \`sla:\` on its approvals`,
      { node: sla, code: IssueCodes.SlaInSubflowOnly },
    );
  };
}

/** The SLA in ms, or undefined when it is missing or not a duration (reported by the duration check). */
function slaMs(duration: ast.DurationValue | undefined): number | undefined {
  return typeof duration?.value === 'string' ? parseDuration(duration.value) : undefined;
}

/** What ends an approval's wait at the latest: its `timeout:`, or (an arm of `wait first`) the choice's shortest timer arm. */
function approvalTimeout(approval: ast.ApprovalStatement): { ms: number; what: string } | undefined {
  const own = slaMs(approval.properties.find(ast.isTimeoutProperty)?.value);
  if (own !== undefined) return { ms: own, what: 'timeout' };
  const choice = approval.$container;
  if (!ast.isWaitStatement(choice) || !choice.isFirst) return undefined;
  const timers = choice.arms.flatMap((arm) => (ast.isWaitStatement(arm) && arm.duration ? [slaMs(arm.duration)] : [])).filter((ms): ms is number => ms !== undefined);
  return timers.length ? { ms: Math.min(...timers), what: '`wait first` timeout arm' } : undefined;
}
