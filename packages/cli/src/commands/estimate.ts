import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatCost, formatDuration, formatTokens, type StepStats, type WorkflowDefinition } from '@baton/protocol';
import { BatonError, DEFAULT_TENANT, estimateFlow, findConfig, loadConfig, type Bound, type FlowEstimate, type RunStoreApi } from '@baton/runtime';
import type { RunExpectation } from '../output/run-printer.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { loadDefinition, openStore, pickFlow } from '../backend.js';
import { isStoreUrl, resolveStorePath } from '../store-path.js';

/** Options of `baton estimate`. */
export interface EstimateOptions {
  flow?: string;
  json?: boolean;
  store?: string;
}

/** What the store observed of one step node over its finished runs (the metrics page's `StepStats`). */
export interface ObservedStep {
  node: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Means per finished step instance (the store keeps sums, not percentiles, of tokens and cost). */
  tokensAvg: number;
  costAvgUsd: number;
}

/**
 * `baton estimate <file> [--flow X] [--json] [--store S]`: the flow's static worst case per step and in total
 * (runtime's `estimateFlow`, with `prices`, `agents` and `limits.maxFlowDepth` of the nearest `baton.config.json`),
 * and, when the store holds runs of the flow (default tenant), what its steps took (p50/p95 duration, mean tokens
 * and cost). A store file that does not exist is not created.
 * @returns 0; a file with errors, an unknown flow or a bad config throw (exit 2).
 */
export async function estimateCommand(file: string, opts: EstimateOptions, output: Output): Promise<number> {
  const { definition, entryFile } = await loadDefinition(file, output);
  const flow = pickFlow(definition, entryFile, opts.flow);
  const estimate = configuredEstimate(definition, flow.name, entryFile);
  const observed = await observedSteps(flow.name, opts.store);
  if (opts.json) {
    output.out(JSON.stringify({ ...estimate, observed }, null, 2));
    return 0;
  }
  output.out(estimateText(estimate, observed).join('\n'));
  return 0;
}

async function observedSteps(flow: string, storeFlag: string | undefined): Promise<ObservedStep[]> {
  const storePath = resolveStorePath(storeFlag);
  if (!isStoreUrl(storePath) && !existsSync(storePath)) return [];
  const store = await openStore(storePath);
  try {
    return (await observedRuns(store, flow)).steps;
  } finally {
    await store.close();
  }
}

/** What an open store observed of a flow's runs (default tenant, all time): per step, and the runs' count and p50 duration. */
export interface ObservedRuns {
  steps: ObservedStep[];
  /** Runs of the flow in the store. */
  runs: number;
  /** Median duration of its finished runs, ms; null when none finished. */
  p50Ms: number | null;
}

/** {@link ObservedRuns} of `flow` in `store` (nothing observed when the store keeps no statistics). */
export async function observedRuns(store: RunStoreApi, flow: string): Promise<ObservedRuns> {
  if (!store.runStats) return { steps: [], runs: 0, p50Ms: null };
  const stats = await store.runStats({ tenant: DEFAULT_TENANT, from: new Date(0).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString(), flow });
  const own = stats.flows.find((f) => f.flow === flow);
  return {
    steps: stats.steps.filter((s: StepStats) => s.flow === flow && s.count > 0).map((s) => ({ node: s.node, count: s.count, p50Ms: s.p50Ms, p95Ms: s.p95Ms, tokensAvg: s.tokens / s.count, costAvgUsd: s.costUsd / s.count })),
    runs: own?.runs ?? 0,
    p50Ms: own?.p50Ms ?? null,
  };
}

/**
 * What `baton run` shows a run against (the human printer's `expected:` line and `step i/N`): the flow's static worst
 * case with the `prices`, `agents` and `limits.maxFlowDepth` of the `baton.config.json` nearest to `entryFile`, and
 * what `store` observed of its earlier runs.
 * @throws UsageError (exit 2) when that configuration cannot be read.
 */
export async function runExpectation(definition: WorkflowDefinition, flow: string, entryFile: string, store: RunStoreApi): Promise<RunExpectation> {
  const estimate = configuredEstimate(definition, flow, entryFile);
  const observed = await observedRuns(store, flow);
  return { estimate, runs: observed.runs, p50Ms: observed.p50Ms };
}

const calls = (n: Bound): string => (n === null ? 'unbounded calls' : `${n} call${n === 1 ? '' : 's'}`);
const bound = (value: Bound, format: (n: number) => string): string => (value === null ? 'unbounded' : format(value));

/** The table `baton estimate` prints: per step, the total, the observed figures, then why a figure is unbounded. */
export function estimateText(estimate: FlowEstimate, observed: ObservedStep[]): string[] {
  const lines = [`Worst case of a run of ${estimate.flow} (static; one run of each step, all attempts):`];
  for (const s of estimate.steps) {
    const runs = s.runs === 1 ? '' : ` ×${s.runs === null ? '?' : s.runs} runs`;
    const turns = s.turns === undefined ? '' : `, up to ${s.turns} turn${s.turns === 1 ? '' : 's'}`;
    lines.push(`  ${s.name} (${s.target}${turns})${runs}: ${calls(s.calls)}, output ${bound(s.outputTokens, formatTokens)}, ${bound(s.outputCostUsd, formatCost)}, ${bound(s.durationMs, formatDuration)}`);
  }
  const t = estimate.total;
  lines.push(`Total: ${calls(t.calls)}, output ${bound(t.outputTokens, formatTokens)}, ${bound(t.outputCostUsd, formatCost)}, ${bound(t.durationMs, formatDuration)}`);
  if (observed.length > 0) {
    lines.push('Observed in the store (finished steps):');
    for (const o of observed) {
      const name = o.node.slice(o.node.indexOf('/') + 1);
      lines.push(`  ${name}: ${o.count} finished, p50 ${o.p50Ms === null ? '–' : formatDuration(o.p50Ms)}, p95 ${o.p95Ms === null ? '–' : formatDuration(o.p95Ms)}, mean ${formatTokens(o.tokensAvg)}, ${formatCost(o.costAvgUsd)}`);
    }
  }
  for (const note of estimate.notes) lines.push(`note: ${note}`);
  lines.push('Input tokens are not bounded statically: costs count output tokens only.');
  return lines;
}

/**
 * `estimateFlow` of `flow` with the `prices`, `agents` and `limits.maxFlowDepth` of the `baton.config.json` nearest to
 * `entryFile` (none: the flow's own figures).
 * @throws UsageError (exit 2) when that configuration cannot be read.
 */
function configuredEstimate(definition: WorkflowDefinition, flow: string, entryFile: string): ReturnType<typeof estimateFlow> {
  const found = findConfig(path.dirname(entryFile));
  let config;
  try {
    config = found ? loadConfig(found) : undefined;
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
  return estimateFlow(definition, flow, { prices: config?.prices, agents: config?.agents, maxFlowDepth: config?.limits.maxFlowDepth });
}
