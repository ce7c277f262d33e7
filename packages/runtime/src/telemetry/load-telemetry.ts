import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../errors.js';
import type { RunTelemetry } from './run-telemetry.js';
import type { TelemetrySettings } from './telemetry-settings.js';

/** What out/telemetry.mjs (otel-telemetry.ts) exports. */
interface TelemetryModule {
  createOtelTelemetry(settings: TelemetrySettings): RunTelemetry;
}

/** The source module's name, in a variable: esbuild leaves this `import()` alone (no SDK in the caller's bundle). */
const SOURCE_MODULE = './otel-telemetry.ts';

/**
 * Loads the OpenTelemetry SDK and makes a {@link RunTelemetry} exporting to `settings`: `telemetry.mjs` beside the
 * caller's bundle (out/cli.mjs, out/serve-executor.mjs, out/cluster.mjs all sit in out/), or — from the sources
 * under tsx — otel-telemetry.ts. Only called when an endpoint is configured, so a process without one never loads
 * the SDK.
 * @throws BatonError `TELEMETRY_UNAVAILABLE` when neither is there (a build shipped without it).
 * @param bundled where the bundled module would be (default: `telemetry.mjs` beside this module's bundle).
 */
export async function loadRunTelemetry(settings: TelemetrySettings, bundled = new URL('./telemetry.mjs', import.meta.url)): Promise<RunTelemetry> {
  const source = new URL(SOURCE_MODULE, import.meta.url);
  const found = [bundled, source].find((u) => u.protocol === 'file:' && existsSync(fileURLToPath(u)));
  // a bundle shipped without it (the .vsix carries out/cli.mjs only)
  if (!found) throw new BatonError('TELEMETRY_UNAVAILABLE', `traces are configured, but ${fileURLToPath(bundled)} (the OpenTelemetry SDK's bundle) is missing`);
  const module = (await import(found.href)) as TelemetryModule;
  return module.createOtelTelemetry(settings);
}
