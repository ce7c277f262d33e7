import path from 'node:path';
import type { WorkflowDefinition } from '@baton/protocol';
import { BatonError, createRealAgents, createRecordingAgents, createReplayAgents, emptyConfig, findConfig, loadConfig, readCassette, type AgentCaller } from '@baton/runtime';
import { UsageError } from './errors.js';

/**
 * `--agents`: `stub` (offline, no network), `real` (providers from `baton.config.json` and the environment), or
 * `replay:<cassette.json>` (real agents answer from a recording made with `--record`, offline).
 */
export type AgentsMode = 'stub' | 'real' | `replay:${string}`;

/**
 * Reads an `--agents` value.
 * @throws UsageError naming the accepted values.
 */
export function parseAgentsMode(value: string): AgentsMode {
  if (value === 'stub' || value === 'real') return value;
  if (value.startsWith('replay:') && value.length > 'replay:'.length) return value as AgentsMode;
  throw new UsageError(`--agents ${value}: use stub, real, or replay:<cassette.json>`);
}

/**
 * The agents a run uses. `stub`: undefined (the runtime's stub agents). `real`: the nearest
 * `baton.config.json` at or above the flow file's folder (none: the providers' defaults), read once, and every
 * agent the `checks`' flows can call resolved before anything starts; with `record`, every real call is also written to that
 * cassette. `replay:<file>`: the cassette's answers.
 * @throws UsageError (exit 2, the run does not start) for a malformed config (its path and field), an unknown
 *   provider, a missing API key (which variable to set), a missing endpoint/command entry, an unreadable
 *   cassette, or `record` without `real`.
 */
export function agentsFor(mode: AgentsMode | undefined, file: string | undefined, checks: { definition: WorkflowDefinition; flow: string }[] = [], record?: string): AgentCaller | undefined {
  if (record !== undefined && mode !== 'real') throw new UsageError('--record records real agent calls: use it with --agents real');
  try {
    if (mode?.startsWith('replay:')) {
      const cassette = path.resolve(mode.slice('replay:'.length));
      return createReplayAgents(readCassette(cassette), cassette);
    }
    if (mode !== 'real') return undefined;
    const configFile = findConfig(file ? path.dirname(path.resolve(file)) : process.cwd());
    const agents = createRealAgents({ config: configFile ? loadConfig(configFile) : emptyConfig() });
    for (const check of checks) agents.preflight(check.definition, check.flow);
    return record !== undefined ? createRecordingAgents(agents, path.resolve(record)) : agents;
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}
