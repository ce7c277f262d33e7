import type { BatonConfig } from './baton-config.js';
import type { Role } from '@baton/protocol';
import { DEFAULT_TENANT } from './tenants.js';

/** What a user of `baton serve` may do: declared in protocol (access-rules.ts), where the console reads it too. */
export type { Role } from '@baton/protocol';

/** `users.<name>` of `baton.config.json`, as written. */
export interface UserConfig {
  /** The environment variable holding the user's token. */
  tokenEnv: string;
  /** Its tenant (default {@link DEFAULT_TENANT}). Not with `tenants`. */
  tenant?: string;
  /**
   * Its tenants, when it works in several (Temporal's namespaces): one at a time, chosen per request (`?tenant=`),
   * the first when none is named; its roles apply in each. Not with `tenant`.
   */
  tenants?: string[];
  roles: Role[];
  /** Names an approval's `assignee` may give for this user besides its own name. */
  groups?: string[];
  /** An approver decides approvals of these flows only (flow names). */
  flows?: string[];
  /** The user's e-mail address (e-mail notifications of approvals assigned to it: `toAssignee`). */
  email?: string;
}

/** `sessions` of `baton.config.json`. */
export interface SessionsConfig {
  /** The environment variable holding the cookie-signing secret (default `BATON_SESSION_SECRET`). */
  secretEnv?: string;
  /** Session lifetime, minutes (1–10,080; default 480). */
  maxAgeMinutes?: number;
  /** The console's origin (`https://host[:port]`): https makes the cookie Secure. */
  origin?: string;
}

/** One user, ready to use: its token read from the environment (undefined when the variable is unset or empty). */
export interface User {
  name: string;
  /** Its tenant, or the first of `tenants` (the one a request that names none is in). */
  tenant: string;
  /** Every tenant it may use, `tenant` first, when configured with `tenants` (absent: `tenant` only); see {@link userTenants}. */
  tenants?: string[];
  roles: Role[];
  groups: string[];
  flows?: string[];
  email?: string;
  tokenEnv: string;
  token?: string;
}

/**
 * The users of a configuration (`users.<name>`, in the file's order), tokens from `env`. Nothing is checked here
 * about tokens (see `serveUsers` in the CLI, which refuses an unset variable or a token used twice).
 */
export function usersOf(config: Pick<BatonConfig, 'users'>, env: NodeJS.ProcessEnv = process.env): User[] {
  return Object.entries(config.users ?? {}).map(([name, entry]) => ({
    name,
    tenant: entry.tenants?.[0] ?? entry.tenant ?? DEFAULT_TENANT,
    ...(entry.tenants ? { tenants: [...entry.tenants] } : {}),
    roles: [...entry.roles],
    groups: [...(entry.groups ?? [])],
    ...(entry.flows ? { flows: [...entry.flows] } : {}),
    ...(entry.email ? { email: entry.email } : {}),
    tokenEnv: entry.tokenEnv,
    ...(env[entry.tokenEnv] ? { token: env[entry.tokenEnv] } : {}),
  }));
}

/** The tenants `user` may use, the one a request that names none is in first: `tenants`, else `[tenant]`. */
export function userTenants(user: Pick<User, 'tenant' | 'tenants'>): string[] {
  return user.tenants && user.tenants.length > 0 ? user.tenants : [user.tenant];
}
