import type { BatonConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';

/** Where and how a process exports its traces (see {@link telemetrySettings}). */
export interface TelemetrySettings {
  /** The OTLP/HTTP traces URL spans are POSTed to (JSON), e.g. `http://127.0.0.1:4318/v1/traces`. */
  tracesUrl: string;
  /** Headers sent with each export (values from the environment; never logged, never attributes). */
  headers: Record<string, string>;
  /** The resource's `service.name`. */
  serviceName: string;
}

/**
 * Whether and where traces are exported, from `baton.config.json`'s `telemetry` and the standard OpenTelemetry
 * environment variables (which win, as a deployment sets them): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full
 * traces URL), else `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL: `/v1/traces` is appended, as the OTLP exporter
 * specification says), else `telemetry.otlp.endpoint` (a base URL too). `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none` turn tracing off. `service.name`: `OTEL_SERVICE_NAME`, else `telemetry.serviceName`,
 * else `baton`.
 * @returns undefined when no endpoint is configured (nothing is loaded or exported then).
 * @throws BatonError `CONFIG_MISSING` when a `telemetry.otlp.headersFromEnv` variable is not set.
 */
export function telemetrySettings(config: Pick<BatonConfig, 'telemetry' | 'file'> | undefined, env: NodeJS.ProcessEnv): TelemetrySettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  const telemetry = config?.telemetry;
  const full = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || telemetry?.otlp?.endpoint;
  const tracesUrl = full || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!tracesUrl) return undefined;
  const headers: Record<string, string> = {};
  for (const [header, variable] of Object.entries(telemetry?.otlp?.headersFromEnv ?? {})) {
    const value = env[variable];
    if (!value) throw new BatonError('CONFIG_MISSING', `${config?.file ?? 'baton.config.json'}: telemetry.otlp.headersFromEnv sends the header ${header} from the environment variable ${variable}, which is not set`);
    headers[header] = value;
  }
  return { tracesUrl, headers, serviceName: env.OTEL_SERVICE_NAME?.trim() || telemetry?.serviceName || 'baton' };
}
