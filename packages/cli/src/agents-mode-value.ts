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
