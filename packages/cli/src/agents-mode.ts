import path from 'node:path';
import type { WorkflowDefinition } from '@baton/protocol';
import { BatonError, createRealAgents, emptyConfig, findConfig, loadConfig, type AgentCaller } from '@baton/runtime';
import { UsageError } from './errors.js';

/** `--agents`: `stub` (offline, no network) or `real` (providers from `baton.config.json` and the environment). */
export type AgentsMode = 'stub' | 'real';

/**
 * The agents a run uses. `stub`: undefined (the runtime's stub agents). `real`: the nearest
 * `baton.config.json` at or above the flow file's folder (none: the providers' defaults), and every agent
 * the flow can call resolved before the run starts.
 * @throws UsageError (exit 2, the run does not start) for a malformed config (its path and field), an unknown
 *   provider, a missing API key (which variable to set) or a missing endpoint/command entry.
 */
export function agentsFor(mode: AgentsMode | undefined, file: string | undefined, check?: { definition: WorkflowDefinition; flow: string }): AgentCaller | undefined {
  if (mode !== 'real') return undefined;
  try {
    const configFile = findConfig(file ? path.dirname(path.resolve(file)) : process.cwd());
    const agents = createRealAgents({ config: configFile ? loadConfig(configFile) : emptyConfig() });
    if (check) agents.preflight(check.definition, check.flow);
    return agents;
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}
