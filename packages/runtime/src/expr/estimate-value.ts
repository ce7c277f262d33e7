import { estimateFlow, type EstimateOptions, type WorkflowDefinition } from '@baton/protocol';
import { makeRecord } from './values.js';

const cache = new WeakMap<WorkflowDefinition, Map<string, Record<string, unknown>>>();

/**
 * The value of `estimate(flow)` in a run of `definition`: the flow's static worst case (protocol `estimateFlow`, with
 * the `prices` and `agents` overrides the run started under and its sub-flow depth bound) as
 * `{ calls, tokens, durationMs, costUsd, bounded }` — agent calls, output tokens, milliseconds, US dollars, each
 * `null` when the flow does not bound it (`costUsd` also when a model has no prices); `bounded` when calls, tokens
 * and duration are all bounded. Computed once per definition, flow and options.
 * @returns undefined when `definition` has no flow `flow`.
 */
export function flowEstimateValue(definition: WorkflowDefinition, flow: string, options: EstimateOptions = {}): Record<string, unknown> | undefined {
  if (!Object.prototype.hasOwnProperty.call(definition.flows, flow)) return undefined;
  let values = cache.get(definition);
  if (!values) cache.set(definition, (values = new Map()));
  const key = `${flow}\n${JSON.stringify(options)}`;
  let value = values.get(key);
  if (!value) {
    const t = estimateFlow(definition, flow, options).total;
    value = makeRecord([
      ['calls', t.calls],
      ['tokens', t.outputTokens],
      ['durationMs', t.durationMs],
      ['costUsd', t.outputCostUsd],
      ['bounded', t.calls !== null && t.outputTokens !== null && t.durationMs !== null],
    ]);
    values.set(key, value);
  }
  return value;
}
