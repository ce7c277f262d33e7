import { estimateFlow, type WorkflowDefinition } from '@baton/protocol';
import { makeRecord } from './values.js';

const cache = new WeakMap<WorkflowDefinition, Map<string, Record<string, unknown>>>();

/**
 * The value of `estimate(flow)` in a run of `definition`: the flow's static worst case (protocol `estimateFlow`,
 * without the configuration's prices and overrides) as `{ calls, tokens, durationMs, bounded }` — agent calls,
 * output tokens, milliseconds, each `null` when the flow does not bound it. Computed once per definition and flow.
 * @returns undefined when `definition` has no flow `flow`.
 */
export function flowEstimateValue(definition: WorkflowDefinition, flow: string): Record<string, unknown> | undefined {
  if (!Object.prototype.hasOwnProperty.call(definition.flows, flow)) return undefined;
  let flows = cache.get(definition);
  if (!flows) cache.set(definition, (flows = new Map()));
  let value = flows.get(flow);
  if (!value) {
    const t = estimateFlow(definition, flow).total;
    value = makeRecord([['calls', t.calls], ['tokens', t.outputTokens], ['durationMs', t.durationMs], ['bounded', t.calls !== null && t.outputTokens !== null && t.durationMs !== null]]);
    flows.set(flow, value);
  }
  return value;
}
