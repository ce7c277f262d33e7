import path from 'node:path';
import type { EstimateConfig } from '@baton/protocol';
import { BatonError, findConfig, loadConfig } from '@baton/runtime';
import { UsageError } from './errors.js';

/**
 * The `limits` of the `baton.config.json` nearest to `file` (the entry .flow file; else the working folder) that a
 * run started by the CLI is held to: `maxFlowDepth`, `runs.recordPrompts` (`recordPrompts: false` when prompts
 * are not recorded), and what its `estimate("Flow")` reads (`estimateConfig`: `prices` and `agents` overrides) — all
 * recorded on the run's `run.started`, so a resume keeps them. Empty when there is no configuration file.
 * @throws UsageError (exit 2) when the file cannot be read or does not match the schema, naming the field.
 */
export function runLimits(file: string | undefined): { maxFlowDepth?: number; recordPrompts?: false; estimateConfig?: EstimateConfig } {
  const found = findConfig(file ? path.dirname(path.resolve(file)) : process.cwd());
  if (!found) return {};
  try {
    const config = loadConfig(found);
    return { ...config.limits, ...(config.runs?.recordPrompts === false ? { recordPrompts: false as const } : {}), estimateConfig: { prices: config.prices, agents: config.agents } };
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}
