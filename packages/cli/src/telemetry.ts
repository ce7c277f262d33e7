import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BatonConfig, RunTelemetry, TelemetrySettings } from '@baton/runtime';
import { BatonError, findConfig, telemetrySettings } from '@baton/runtime/start-up';
import { UsageError } from './errors.js';

/**
 * The trace export settings of a command (docs/observability.md): the environment's OTLP variables, else the
 * `telemetry` of the `baton.config.json` nearest `probe` (a flow file or folder the command was given; the current
 * folder otherwise). A config that does not load is left to the commands that need it (real agents report it).
 * @returns undefined when no endpoint is configured.
 * @throws UsageError when a `telemetry.otlp.headersFromEnv` variable is not set.
 */
export async function commandTelemetrySettings(probe: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<TelemetrySettings | undefined> {
  let config: BatonConfig | undefined;
  const start = probe && existsSync(probe) ? (statSync(probe).isDirectory() ? path.resolve(probe) : path.dirname(path.resolve(probe))) : process.cwd();
  const file = findConfig(start);
  if (file) {
    // the config's reader (ajv, the schema) is loaded only when there is a config to read
    const { loadConfig } = await import('./runtime-lazy.js');
    try {
      config = loadConfig(file);
    } catch {
      config = undefined;
    }
  }
  try {
    return telemetrySettings(config, env);
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Installs this process's run tracing for one command when an endpoint is configured (see
 * {@link commandTelemetrySettings}; `probe`: the first of the command's arguments that names an existing file or
 * folder), runs `body`, then flushes what was traced (bounded: a collector that is down delays the exit by at most
 * the SDK module's SHUTDOWN_TIMEOUT_MS) — so a short `baton run` is exported before the process exits.
 */
export async function withCommandTelemetry<T>(args: readonly unknown[], body: () => Promise<T>): Promise<T> {
  const probe = args.find((a): a is string => typeof a === 'string' && a !== '' && existsSync(a));
  const settings = await commandTelemetrySettings(probe);
  if (!settings) return body();
  const { installRunTelemetry, loadRunTelemetry } = await import('./runtime-lazy.js');
  let telemetry: RunTelemetry;
  try {
    telemetry = await loadRunTelemetry(settings);
  } catch (error) {
    // tracing is an aid: a build without the SDK's bundle runs the command untraced, and says so
    if (!(error instanceof BatonError)) throw error;
    process.stderr.write(`baton: ${error.message}; runs are not traced\n`);
    return body();
  }
  installRunTelemetry(telemetry);
  try {
    return await body();
  } finally {
    installRunTelemetry(undefined);
    await telemetry.shutdown();
  }
}
