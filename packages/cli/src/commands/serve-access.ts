// `baton serve`'s users and sessions from baton.config.json (`users`, `sessions`), their secrets from the environment.
import path from 'node:path';
import { BatonError, emptyConfig, findConfig, loadConfig, usersOf, type Tenant, type User } from '@baton/runtime';
import { UsageError } from '../errors.js';
import { displayPath } from '../output/terminal.js';

/** What {@link serveAccess} reads: the users, and the sessions' options of `startServer`. */
export interface ServeAccess {
  users: User[];
  sessions: { secret?: Buffer; maxAgeMs: number; secure: boolean };
  /** Where the session secret comes from, for the banner: the variable, or `random` (made per process). */
  secretSource: string;
}

/** The variable the session secret is read from when `sessions.secretEnv` names none. */
export const DEFAULT_SESSION_SECRET_ENV = 'BATON_SESSION_SECRET';

/**
 * The users and sessions of the `baton.config.json` nearest `folder` (docs/security.md), secrets from `env`.
 * @throws UsageError (exit 2) naming the field for: an invalid configuration, a user's `tokenEnv` unset, a user's
 *   `tenant` (or one of its `tenants`) that `tenants` does not have, two users (or a user and a tenant) with the same token, a session secret
 *   shorter than 32 characters, a `sessions.secretEnv` named and unset.
 */
export function serveAccess(folder: string, env: NodeJS.ProcessEnv, tenants: readonly Tenant[]): ServeAccess {
  let configFile: string | undefined;
  let config;
  try {
    configFile = findConfig(path.resolve(folder));
    config = configFile ? loadConfig(configFile) : emptyConfig();
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
  const where = configFile ? displayPath(configFile) : 'baton.config.json';
  const users = usersOf(config, env);
  const owners = new Map<string, string>();
  for (const t of tenants) if (t.apiToken) owners.set(t.apiToken, `tenant ${t.id}`);
  for (const user of users) {
    if (!user.token) throw new UsageError(`${where}: users.${user.name}.tokenEnv names ${user.tokenEnv}, which is not set`);
    if (!user.tenants && !tenants.some((t) => t.id === user.tenant)) throw new UsageError(`${where}: users.${user.name}.tenant is "${user.tenant}", which is not a tenant (add it under tenants)`);
    for (const [i, id] of (user.tenants ?? []).entries()) {
      if (!tenants.some((t) => t.id === id)) throw new UsageError(`${where}: users.${user.name}.tenants[${i}] is "${id}", which is not a tenant (add it under tenants)`);
    }
    const other = owners.get(user.token);
    if (other) throw new UsageError(`${other} and user ${user.name} have the same token: give each its own`);
    owners.set(user.token, `user ${user.name}`);
  }
  const settings = config.sessions ?? {};
  const secretEnv = settings.secretEnv ?? DEFAULT_SESSION_SECRET_ENV;
  const secretText = env[secretEnv];
  if (settings.secretEnv && !secretText) throw new UsageError(`${where}: sessions.secretEnv names ${secretEnv}, which is not set`);
  if (secretText && secretText.length < 32) throw new UsageError(`${secretEnv} must be at least 32 characters (it signs the console's session cookies)`);
  return {
    users,
    sessions: { ...(secretText ? { secret: Buffer.from(secretText, 'utf8') } : {}), maxAgeMs: (settings.maxAgeMinutes ?? 480) * 60_000, secure: settings.origin?.startsWith('https://') ?? false },
    secretSource: secretText ? secretEnv : 'random',
  };
}
