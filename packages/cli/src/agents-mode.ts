import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunAgents, WorkflowDefinition } from '@baton/protocol';
import { BatonError, checkRunAgents, createRealAgents, createRecordingAgents, createReplayAgents, emptyConfig, findConfig, loadConfig, readCassette, type AgentCaller, type RunRecord } from '@baton/runtime';
import { UsageError } from './errors.js';
import type { AgentsMode } from './agents-mode-value.js';

// `--agents` values are read by program.ts at start (a module of their own, without the runtime)
export { parseAgentsMode, type AgentsMode } from './agents-mode-value.js';

/** The agents a command runs with: the caller (undefined: the runtime's stubs) and what is stored with the run. */
export interface ResolvedAgents {
  agents: AgentCaller | undefined;
  runAgents: RunAgents;
  /** Set when the run's `baton.config.json` changed since it was recorded: a note for the user. */
  configChanged?: string;
}

/**
 * The agents a run uses. `stub`: undefined (the runtime's stub agents). `real`: `configFile` when given (the
 * run's recorded config; `null`: the run had none — the providers' defaults), else the nearest
 * `baton.config.json` at or above the flow file's folder (none: the providers' defaults), read once, and
 * every agent the `checks`' flows can call resolved before anything starts; with `record`, every real call
 * is also written to that cassette. `replay:<file>`: the cassette's answers. The returned `runAgents` names
 * the mode (a cassette by its absolute path) and, for `real`, the config's path and SHA-256 — never its contents.
 * @throws UsageError (exit 2, the run does not start) for a malformed config (its path and field), an unknown
 *   provider, a missing API key (which variable to set), a missing endpoint/command entry, an unreadable
 *   cassette, or `record` without `real`.
 */
export function agentsFor(mode: AgentsMode | undefined, file: string | undefined, checks: { definition: WorkflowDefinition; flow: string }[] = [], record?: string, configFile?: string | null): ResolvedAgents {
  if (record !== undefined && mode !== 'real') throw new UsageError('--record records real agent calls: use it with --agents real');
  try {
    if (mode?.startsWith('replay:')) {
      const cassette = path.resolve(mode.slice('replay:'.length));
      return { agents: createReplayAgents(readCassette(cassette), cassette), runAgents: { mode: `replay:${cassette}` } };
    }
    if (mode !== 'real') return { agents: undefined, runAgents: { mode: 'stub' } };
    const found = configFile === undefined ? findConfig(file ? path.dirname(path.resolve(file)) : process.cwd()) : (configFile ?? undefined);
    const agents = createRealAgents({ config: found ? loadConfig(found) : emptyConfig() });
    for (const check of checks) agents.preflight(check.definition, check.flow);
    const runAgents: RunAgents = { mode: 'real', ...(found ? { config: { path: found, sha256: createHash('sha256').update(readFileSync(found)).digest('hex') } } : {}) };
    return { agents: record !== undefined ? createRecordingAgents(agents, path.resolve(record)) : agents, runAgents };
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The agents a stored run continues with (`resume`, `approve`, `send`, `runs redrive`): the run's own — its
 * mode and, for `real`, the `baton.config.json` it recorded (read again: a changed file is used as it is now,
 * with a note, and its new SHA-256 is recorded). `given` (an explicit `--agents`) must name the same mode
 * unless `switchAgents`; with `switchAgents`, agents are found afresh (for `real`, the config nearest the run's
 * file), also for the same mode. Runs
 * stored before agents were recorded continue with `given`, or stubs.
 * @throws UsageError (exit 2, nothing recorded) for a different `--agents` without `--switch-agents`, a
 *   recorded config that is gone, and everything {@link agentsFor} refuses.
 */
export function agentsToContinue(run: RunRecord, given: AgentsMode | undefined, switchAgents = false): ResolvedAgents {
  const file = run.file ?? undefined;
  const normal = (mode: AgentsMode): string => (mode.startsWith('replay:') ? `replay:${path.resolve(mode.slice('replay:'.length))}` : mode);
  const stored = run.agents;
  if (!stored) return agentsFor(given ?? 'stub', file);
  if (given !== undefined && normal(given) !== stored.mode) {
    try {
      checkRunAgents(run, { mode: normal(given) }, switchAgents);
    } catch (error) {
      if (error instanceof BatonError) throw new UsageError(error.message);
      throw error;
    }
    return agentsFor(given, file);
  }
  if (switchAgents) {
    if (given === undefined) throw new UsageError(`--switch-agents: name the agents run ${run.id} continues with (--agents stub, real or replay:<cassette.json>)`);
    return agentsFor(given, file); // the same mode, found afresh (real: the config nearest the run's file)
  }
  if (stored.mode !== 'real') return agentsFor(stored.mode as AgentsMode, file);
  const recorded = stored.config;
  if (recorded && !existsSync(recorded.path)) {
    throw new UsageError(`run ${run.id} was started with real agents configured by ${recorded.path}, which is gone: put it back, or pass --agents real --switch-agents to use the baton.config.json nearest the flow file`);
  }
  const resolved = agentsFor('real', file, [], undefined, recorded ? recorded.path : null);
  if (recorded && resolved.runAgents.config?.sha256 !== recorded.sha256) {
    resolved.configChanged = `${recorded.path} changed since run ${run.id} recorded it; the run continues with the file as it is now`;
  }
  return resolved;
}
