import { checkGeneratePolicy, checkGenerateStep } from './baton-generate-checks.js';
import type { BatonServices } from './baton-module.js';
import { checkNestingDepth, checkStatementNesting } from './baton-nesting-check.js';
import type { BatonValidationRegistry } from './baton-validation-registry.js';
import * as ast from './generated/ast.js';

/**
 * Says which of the registered checks (baton-validator.ts) an incremental validation may replay and when
 * (BatonValidationRegistry.markReusable; baton-incremental-validation.ts). A check left out always runs.
 */
export function markReusableChecks(registry: BatonValidationRegistry, services: BatonServices): void {
  const validator = services.validation.BatonValidator;
  const signalChecks = services.validation.BatonSignalChecks;
  const slaChecks = services.validation.BatonSlaChecks;
  const toolChecks = services.validation.BatonToolChecks;
  // audited: each reads only its node, its subtree, its ancestors' types and its references' targets (top-level
  // declarations, or names the incremental plan re-checks: baton-incremental-validation.ts)
  registry.markReusable(
    [
      validator.checkDuplicateProperties,
      validator.checkStepSubflowInputs,
      validator.checkStepRetryIdempotent,
      checkGenerateStep,
      checkGeneratePolicy,
      slaChecks.checkSla,
      validator.checkDuration,
      validator.checkDurationLiteral,
      validator.checkRetry,
      validator.checkCircuit,
      validator.checkTemperature,
      validator.checkMaxTokens,
      validator.checkBudget,
      validator.checkConcurrency,
      validator.checkRepeatMax,
      toolChecks.checkMaxTurns,
      validator.checkInputDefault,
    ],
    'local',
  );
  // errors per statement (an expression or a type lies inside one)
  registry.markReusable([checkNestingDepth], { statement: checkStatementNesting });
  // whole-flow passes that read only some kinds of statement: replayed when the edit has none of them
  registry.markReusable([signalChecks.checkFlowSignals], (node) => node.$type === 'SignalStatement' || node.$type === 'WaitStatement');
  // the sub-flow calls every run reaches (of any flow: a cycle goes through other flows), up to a `fail`
  registry.markReusable([validator.checkFlowRecursion, validator.checkRecursionProgress], (node) => node.$type === 'FailStatement' || (ast.isStep(node) && ast.isFlowDecl(node.target?.ref)));
}
