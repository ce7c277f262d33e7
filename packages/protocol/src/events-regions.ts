// The run events of cancellation regions and early termination (`region`, `cancel`, `complete`): members of the
// RunEvent union in events.ts, kept in their own file.
import type { RunEventBase } from './events.js';

/**
 * `cancel r` reached region `r` while it ran (WCP-25): recorded and committed before anything is withdrawn. The
 * region's unfinished work is then withdrawn, the compensations of its finished steps run (newest completion first),
 * then its `on cancel`, and the run goes on after it. On replay the region runs in withdrawn mode from the start.
 */
export interface RegionCancelledEvent extends RunEventBase {
  type: 'region.cancelled';
  /** The region's IR node id (`Flow/fulfil`). */
  node: string;
  /** Scope of the region instance: loop indexes and sub-flow prefix. */
  scope: string;
  /** The region's name. */
  region: string;
  /** The IR node id of the `cancel` statement (`Flow/cancel@4.1`). */
  by: string;
}

/** `complete r` reached region `r` while it ran (WCP-27): it ends successfully, its unfinished work withdrawn, nothing compensated. */
export interface RegionCompletedEvent extends RunEventBase {
  type: 'region.completed';
  node: string;
  scope: string;
  region: string;
  /** The IR node id of the `complete` statement. */
  by: string;
}

/**
 * `cancel <step>` reached the step while it ran (WCP-19): recorded and committed before its call is aborted; the
 * step then ends `step.finished { status: 'cancelled' }` (also on a replay that finds it started and not finished).
 */
export interface StepCancelRequestedEvent extends RunEventBase {
  type: 'step.cancelRequested';
  /** The step instance (`ship`, `lines[2]`, `incident/page`). */
  step: string;
  /** The step's IR node id. */
  node: string;
  /** The IR node id of the `cancel` statement. */
  by: string;
}

/**
 * A bare `complete` ended the current flow successfully (WCP-43): recorded and committed before its unfinished
 * work (branches, kept branches) is withdrawn. At the top the run then ends `run.succeeded { completedBy }`; in a
 * sub-flow, the calling step succeeds with the outputs set so far.
 */
export interface FlowCompletedEvent extends RunEventBase {
  type: 'flow.completed';
  /** The IR node id of the `complete` statement. */
  node: string;
  /** The flow invocation: '' for the run's flow, the sub-flow prefix (`incident/`) for a sub-flow call. */
  scope: string;
  flow: string;
}
