import path from 'node:path';

/**
 * Settings → the `baton` child process: its arguments and its environment. Pure. API keys reach the
 * child only through its environment (never its arguments, settings or logs).
 */

/** An LLM provider the extension can hold a key for. */
export interface ProviderInfo {
  /** Settings key under `baton.providers.<id>` and the SecretStorage key `baton.apiKey.<id>`. */
  id: 'openai' | 'anthropic' | 'openaiCompatible';
  label: string;
  /** Environment variable the runtime reads the key from. */
  keyEnv: string;
  /** Environment variable the runtime reads the base URL from. */
  baseUrlEnv: string;
}

/** The providers, in the order `Baton: Set API Key` offers them. */
export const PROVIDERS: readonly ProviderInfo[] = [
  { id: 'openai', label: 'OpenAI', keyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' },
  { id: 'anthropic', label: 'Anthropic', keyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL' },
  { id: 'openaiCompatible', label: 'OpenAI-compatible (self-hosted, gateways)', keyEnv: 'OPENAI_COMPATIBLE_API_KEY', baseUrlEnv: 'OPENAI_COMPATIBLE_BASE_URL' },
];

/** The SecretStorage key of a provider's API key. */
export function secretKey(provider: ProviderInfo['id']): string {
  return `baton.apiKey.${provider}`;
}

/** The `baton.*` settings a run uses. */
export interface RunSettings {
  agentsMode: 'stub' | 'real';
  /** `baton.store.path` as set: a file (absolute, or relative to the workspace folder) or a `postgres://` URL. */
  storePath: string;
  /** `baton.providers.<id>.baseUrl`; empty or missing: the provider's default. */
  baseUrls: Partial<Record<ProviderInfo['id'], string>>;
}

/** Whether a store setting is a PostgreSQL URL (`postgres://` or `postgresql://`) rather than a file. */
export function isStoreUrl(setting: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(setting.trim());
}

/**
 * The store the CLI is given (`--store`): for a file, `setting` if absolute, else under `folder` (default
 * `.baton/runs.db`); for a `postgres://` URL, the URL without its password (a password in the setting goes to
 * the child's environment instead, see {@link storePasswordInSetting} — never on a command line).
 */
export function resolveStorePath(setting: string | undefined, folder: string): string {
  const chosen = setting && setting.trim() !== '' ? setting.trim() : path.join('.baton', 'runs.db');
  if (isStoreUrl(chosen)) return withoutPassword(chosen).url;
  return path.resolve(folder, chosen);
}

/** A store URL split into the URL without its password (in the authority or a `password=` parameter) and the password. */
function withoutPassword(url: string): { url: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password') ?? undefined;
  if (password === undefined) return { url };
  parsed.password = '';
  parsed.searchParams.delete('password');
  return { url: parsed.toString().replace(/^(postgres(?:ql)?:\/\/[^@/]*):@/i, '$1@'), password };
}

/** The password written into a store URL setting, if any (it should not be there: see {@link storeSettingWarning}). */
export function storePasswordInSetting(setting: string | undefined): string | undefined {
  return setting && isStoreUrl(setting) ? withoutPassword(setting.trim()).password : undefined;
}

/**
 * The warning for a store setting that holds a password (settings are plain files, synced and shared; the
 * password belongs in SecretStorage: `Baton: Set Store Password`); undefined when there is none.
 */
export function storeSettingWarning(setting: string | undefined): string | undefined {
  if (storePasswordInSetting(setting) === undefined) return undefined;
  return `Baton: the store URL in the setting baton.store.path contains a password, and settings are not secret. Remove it from the URL (${resolveStorePath(setting, '.')}) and run "Baton: Set Store Password" to keep it in VS Code's secret storage.`;
}

/**
 * The SecretStorage key of a PostgreSQL store's password: one per user, host, port and database (a password is
 * never sent to another server than the one it was set for); undefined for a file store.
 */
export function storePasswordKey(store: string): string | undefined {
  if (!isStoreUrl(store)) return undefined;
  try {
    const u = new URL(store);
    return `baton.storePassword.${u.username}@${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * The child's environment: `base` (the extension host's), plus `ELECTRON_RUN_AS_NODE=1` (the host's
 * executable runs as plain Node), `NO_COLOR=1`, the base URLs set in settings and the keys held in
 * SecretStorage (`keys`, by provider id). A key already in `base` is kept unless SecretStorage has one.
 * `PGPASSWORD`: the password of a PostgreSQL store — written in the setting's URL (warned about), else
 * `storePassword` (SecretStorage's for that store); else the host's `PGPASSWORD`, if any, stays.
 */
export function childEnv(base: NodeJS.ProcessEnv, settings: RunSettings, keys: Partial<Record<ProviderInfo['id'], string>>, storePassword?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  delete env.BATON_STORE;
  // a PostgreSQL store's password: the one written in the setting's URL, else SecretStorage's for that store
  const password = storePasswordInSetting(settings.storePath) ?? storePassword;
  if (password) env.PGPASSWORD = password;
  for (const p of PROVIDERS) {
    const url = settings.baseUrls[p.id];
    if (url && url.trim() !== '') env[p.baseUrlEnv] = url.trim();
    const key = keys[p.id];
    if (key) env[p.keyEnv] = key;
  }
  return env;
}

/**
 * Whether a run that could not start failed for want of an API key: the CLI checks every agent the flow
 * calls before it starts and says `agent X (provider/model) needs an API key: set the environment variable
 * …` — the editor then offers "Set API Key". (Only the CLI knows which providers a flow needs: a flow of
 * `ollama/` agents needs no key at all.)
 */
export function needsApiKey(problem: string): boolean {
  return /needs an API key: set the environment variable/.test(problem);
}

/** What to run: a file, optionally a flow and an inputs file. */
export interface RunRequest {
  file: string;
  flow?: string;
  /** A JSON file holding the inputs object (`--inputs`). */
  inputsFile?: string;
}

/** `baton run <file> [--flow F] [--inputs f] --agents M --json --store S`. */
export function runArgs(request: RunRequest, settings: RunSettings, storePath: string): string[] {
  const args = ['run', request.file];
  if (request.flow) args.push('--flow', request.flow);
  if (request.inputsFile) args.push('--inputs', request.inputsFile);
  args.push('--agents', settings.agentsMode, '--json', '--store', storePath);
  return args;
}

/** `baton approve <id> <task> [--reject] --by <user> --json --store S`. */
export function approveArgs(runId: string, task: string, approve: boolean, by: string, storePath: string): string[] {
  return ['approve', runId, task, ...(approve ? [] : ['--reject']), '--by', by, '--json', '--store', storePath];
}
