import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { BatonError } from '../errors.js';
import { BATON_CONFIG_SCHEMA } from './config-schema.js';
import { overlappingFlows, type TenantConfig } from './tenants.js';
import type { SessionsConfig, UserConfig } from './users.js';
import type { NotificationsConfig } from './notifications.js';

/** A model provider (`providers.openai`, `.anthropic`, `.ollama`). */
export interface ProviderConfig {
  baseUrl?: string;
  /** The environment variable holding the API key. */
  apiKeyEnv?: string;
  defaultModel?: string;
  structuredOutput?: 'json_schema' | 'json_object';
}

/** An HTTP agent (`endpoints.<name>`, used as `model: "http/<name>"`). */
export interface EndpointConfig {
  url: string;
  headers?: Record<string, string>;
  /** Header name → environment variable holding its value. */
  headersFromEnv?: Record<string, string>;
}

/** A local command agent (`commands.<name>`, used as `model: "command/<name>"`). */
export interface CommandConfig {
  /** Program and arguments, run without a shell. */
  command: string[];
  /** Working directory (absolute once loaded; defaults to the config file's folder). */
  cwd?: string;
  env?: Record<string, string>;
}

/** Per-agent overrides (`agents.<AgentName>`), applied over the `.flow` file's agent. */
export interface AgentOverride {
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

/** `baton.config.json`, validated; `file` is where it was read from (undefined: no file, all defaults). */
export interface BatonConfig {
  file?: string;
  providers: Partial<Record<'openai' | 'anthropic' | 'ollama', ProviderConfig>>;
  endpoints: Record<string, EndpointConfig>;
  commands: Record<string, CommandConfig>;
  agents: Record<string, AgentOverride>;
  /** `provider/model` → US dollars per million input and output tokens. */
  prices: Record<string, { input: number; output: number }>;
  /** `tenants.<id>` (read them with `tenantsOf`). */
  tenants: Record<string, TenantConfig>;
  /** `limits`: `maxFlowDepth` (1 … 1000), how deep sub-flow calls of a run started here may nest. */
  limits: { maxFlowDepth?: number };
  /** `runs`: what the runs started here record — `recordPrompts` (default true): the rendered prompt on `step.started`. */
  runs?: { recordPrompts?: boolean };
  /** `users.<name>`: who may use `baton serve`'s runs API and console, with which roles (read them with `usersOf`). */
  users?: Record<string, UserConfig>;
  /** `sessions`: the console's sign-in sessions. */
  sessions?: SessionsConfig;
  /** `telemetry`: OTLP traces and `/metrics` access (docs/observability.md; read with `telemetrySettings`). */
  telemetry?: TelemetryConfig;
  /** `notifications`: webhooks and e-mail on approvals waiting, runs failed, SLAs breached (read with `notifySettings`). */
  notifications?: NotificationsConfig;
  /** `mcp.servers.<name>`: the MCP servers agents' tools call (docs/mcp.md); a stdio server's `cwd` absolute once loaded. */
  mcp?: { servers?: Record<string, McpServerConfig> };
}

/**
 * An MCP server of `mcp.servers`: a local command spoken to over stdio, or a streamable HTTP endpoint. Values written
 * `${NAME}` in `env` and `headers` are environment variables' values, read when the server is first used.
 */
export type McpServerConfig = { command: string[]; env?: Record<string, string>; cwd?: string } | { url: string; headers?: Record<string, string> };

/** `telemetry` in `baton.config.json` (see the schema's descriptions). */
export interface TelemetryConfig {
  serviceName?: string;
  otlp?: { endpoint?: string; headersFromEnv?: Record<string, string> };
  metrics?: { public?: boolean };
  /** Where the console links a run's trace: a URL with `{traceId}` in it (e.g. `http://jaeger:16686/trace/{traceId}`). */
  traceUrl?: string;
}

/** A configuration with nothing in it: the providers' defaults and the environment only. */
export function emptyConfig(): BatonConfig {
  return { providers: {}, endpoints: {}, commands: {}, agents: {}, prices: {}, tenants: {}, limits: {} };
}

let validator: ReturnType<Ajv['compile']> | undefined;

/**
 * Reads and validates a `baton.config.json` against {@link BATON_CONFIG_SCHEMA} (ajv). A command's `cwd`
 * becomes absolute (relative to the file's folder).
 * @throws BatonError `CONFIG_UNREADABLE` (missing or unreadable file), `CONFIG_INVALID` (not JSON: with its
 *   line; or not matching the schema: with the path of the offending field, e.g.
 *   `baton.config.json: providers.openai.baseUrl must be a string`).
 */
export function loadConfig(file: string): BatonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BatonError('CONFIG_UNREADABLE', `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BatonError('CONFIG_INVALID', `${file}: not valid JSON: ${(error as Error).message}`);
  }
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(BATON_CONFIG_SCHEMA);
  if (!validator(raw)) {
    throw new BatonError('CONFIG_INVALID', `${file}: ${describeSchemaErrors(mcpServerErrors(validator.errors ?? [], raw))}`);
  }
  const parsed = raw as Partial<BatonConfig>;
  const overlap = overlappingFlows(parsed.tenants ?? {});
  if (overlap) throw new BatonError('CONFIG_INVALID', `${file}: ${overlap}`);
  for (const [name, user] of Object.entries(parsed.users ?? {})) {
    if (user.tenant !== undefined && user.tenants !== undefined) throw new BatonError('CONFIG_INVALID', `${file}: users.${name} has both "tenant" and "tenants": give one ("tenants": ["${user.tenant}", …] for several)`);
  }
  const folder = path.dirname(path.resolve(file));
  const commands: Record<string, CommandConfig> = {};
  for (const [name, command] of Object.entries(parsed.commands ?? {})) {
    commands[name] = { ...command, cwd: path.resolve(folder, command.cwd ?? '.') };
  }
  const servers: Record<string, McpServerConfig> = {};
  for (const [name, server] of Object.entries(parsed.mcp?.servers ?? {})) servers[name] = 'command' in server ? { ...server, cwd: path.resolve(folder, server.cwd ?? '.') } : server;
  return { file: path.resolve(file), providers: parsed.providers ?? {}, endpoints: parsed.endpoints ?? {}, commands, agents: parsed.agents ?? {}, prices: parsed.prices ?? {}, tenants: parsed.tenants ?? {}, limits: parsed.limits ?? {}, ...(parsed.runs ? { runs: parsed.runs } : {}), ...(parsed.telemetry ? { telemetry: parsed.telemetry } : {}), ...(parsed.users ? { users: parsed.users } : {}), ...(parsed.sessions ? { sessions: parsed.sessions } : {}), ...(parsed.notifications ? { notifications: parsed.notifications } : {}), ...(parsed.mcp ? { mcp: { servers } } : {}) };
}

/**
 * ajv's errors with those of an `mcp.servers.<name>` entry narrowed to the kind it is — a URL server (it has `url`)
 * or a command one — so that a wrong entry is told what is wrong with it, not that it fits neither `oneOf` branch.
 */
function mcpServerErrors(errors: ErrorObject[], raw: unknown): ErrorObject[] {
  const servers = (raw as { mcp?: { servers?: Record<string, unknown> } } | null)?.mcp?.servers;
  return errors.filter((e) => {
    const m = /^\/mcp\/servers\/([^/]+)/.exec(e.instancePath);
    const branch = /\/mcpServer\/oneOf(?:\/(\d))?/.exec(e.schemaPath);
    if (!m || !branch) return true;
    if (branch[1] === undefined) return false; // "must match exactly one schema in oneOf"
    const server = servers?.[m[1].replace(/~1/g, '/').replace(/~0/g, '~')];
    const isUrl = server !== null && typeof server === 'object' && 'url' in server;
    return branch[1] === (isUrl ? '1' : '0');
  });
}

/**
 * One message for ajv's errors, naming each field by its dotted path: `providers.openai.baseUrl must be a
 * string; agents.Writer has an unknown field "modle"`. At most three, the rest counted.
 */
export function describeSchemaErrors(errors: ErrorObject[]): string {
  // a property name's own error (ajv sets `propertyName` on it) is told by its `propertyNames` error
  const messages = errors.filter((e) => (e as { propertyName?: string }).propertyName === undefined).map((e) => {
    const at = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
    const where = at === '' ? 'the file' : at;
    if (e.keyword === 'additionalProperties') return `${where} has an unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === 'enum') return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    if (e.keyword === 'required') return `${where} needs "${(e.params as { missingProperty: string }).missingProperty}"`;
    if (e.keyword === 'propertyNames' && at === 'mcp.servers') return `${where}: "${(e.params as { propertyName: string }).propertyName}" is not a server name (letters, digits and _, not starting with a digit, at most 63)`;
    if (e.keyword === 'propertyNames' && at === 'users') return `${where}: "${(e.params as { propertyName: string }).propertyName}" is not a user name (letters, digits, ., -, _ and @, at most 63)`;
    if (e.keyword === 'propertyNames') return `${where}: "${(e.params as { propertyName: string }).propertyName}" is not a tenant id (lower-case letters, digits, - and _, at most 63)`;
    if (e.keyword === 'pattern' && /^users\.[^.]+\.tenants?(\.\d+)?$/.test(at)) return `${where} is not a tenant id (lower-case letters, digits, - and _, at most 63)`;
    if (e.keyword === 'pattern' && at.endsWith('Env')) return `${where} must name an environment variable (letters, digits, _)`;
    if (e.keyword === 'pattern' && /(^|\.)(url|baseUrl)$/.test(at)) return `${where} must be an http:// or https:// URL`;
    if (e.keyword === 'pattern' && /^tenants\.[^.]+\.flows\.\d+$/.test(at)) {
      return `${where} must be a .flow file or a folder relative to the folder of baton.config.json (not absolute, no "..", no glob characters)`;
    }
    return `${where} ${e.message ?? 'is not valid'}`;
  });
  const unique = [...new Set(messages)];
  return unique.length <= 3 ? unique.join('; ') : `${unique.slice(0, 3).join('; ')}; and ${unique.length - 3} more`;
}
