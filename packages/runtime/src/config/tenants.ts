import path from 'node:path';
import type { BatonConfig } from './baton-config.js';

/** `tenants.<id>` of `baton.config.json`, as written (see {@link tenantsOf}). */
export interface TenantConfig {
  /** The environment variable holding the tenant's runs-API token. */
  apiTokenEnv?: string;
  /** The environment variable holding the secret its webhooks and events are signed with. */
  webhookSecretEnv?: string;
  /** Runs of the tenant executing at once on its queue (1–10,000). */
  concurrency?: number;
  /** Webhook and event starts allowed per window. */
  rateLimit?: RateLimit;
  /**
   * The tenant's flows, for what starts runs without a caller to say whose they are — schedules: `.flow` files or
   * folders (every `.flow` file under one), relative to the folder of `baton.config.json`, without `..`. A file
   * belongs to at most one tenant (two tenants' entries may not be the same or one inside the other); a file no
   * tenant names is tenant `default`'s.
   */
  flows?: string[];
}

/**
 * At most `max` starts in any `perMs` milliseconds (a sliding window). The same shape as BullMQ's queue limiter
 * `{ max, duration }` with `duration = perMs`.
 */
export interface RateLimit {
  /** Starts allowed in a window (1–1,000,000). */
  max: number;
  /** The window, ms (1–86,400,000). */
  perMs: number;
}

/**
 * One tenant, ready to use. Secrets are read from the environment variables the configuration names — never from
 * the file; an empty variable counts as unset.
 */
export interface Tenant {
  /** The id: lower-case letters, digits, `-`, `_` (at most 63); the value of every run's `tenant`. */
  id: string;
  /** How many of its runs execute at once on its queue ({@link DEFAULT_TENANT_CONCURRENCY} unless configured). */
  concurrency: number;
  /** Its webhook and event starts per window; undefined: no limit. */
  rateLimit?: RateLimit;
  /** Its runs-API token (`Authorization: Bearer …`); undefined: it has no runs API. */
  apiToken?: string;
  /** Its webhook secret (`X-Baton-Signature`); undefined: it cannot trigger flows. */
  webhookSecret?: string;
  /** The environment variable `apiToken` is read from (for messages), when one is named. */
  apiTokenEnv?: string;
  /** The environment variable `webhookSecret` is read from (for messages), when one is named. */
  webhookSecretEnv?: string;
  /** Its `flows` (see {@link TenantConfig.flows}) as absolute paths: the files and folders whose schedules start its runs. */
  flows?: string[];
}

/** The tenant of runs started without one, and of everything when `baton.config.json` has no `tenants`. */
export const DEFAULT_TENANT = 'default';

/** A tenant's {@link Tenant.concurrency} when its configuration gives none (as `baton serve --concurrency`'s default). */
export const DEFAULT_TENANT_CONCURRENCY = 8;

/**
 * The tenants of a configuration (`tenants.<id>` of `baton.config.json`), tenant `default` first — always present:
 * configured or not, it is the tenant of runs started without one. Its secrets default to `BATON_API_TOKEN` and
 * `BATON_WEBHOOK_SECRET` (`baton serve`'s variables before tenants existed); other tenants have a token or a secret
 * only when their configuration names the variable. The rest keep the file's order.
 *
 * Shape: `{ id, concurrency, rateLimit?: { max, perMs }, apiToken?, webhookSecret?, apiTokenEnv?, webhookSecretEnv?, flows? }[]`
 * (`flows` absolute: resolved against the folder of `config.file`, or the working directory without one).
 * `baton serve` maps each token and secret to its tenant (and limits its webhook starts with `rateLimit`); a worker
 * builds one queue per tenant with `concurrency` and `rateLimit` (BullMQ's `limiter: { max, duration: perMs }`).
 * Nothing is checked here about secrets (a worker needs none): a named variable that is unset gives `undefined`.
 * @param env where the secrets are read from (default `process.env`).
 */
export function tenantsOf(config: Pick<BatonConfig, 'tenants'> & { file?: string }, env: NodeJS.ProcessEnv = process.env): Tenant[] {
  const configured = config.tenants ?? {};
  const folder = config.file ? path.dirname(config.file) : process.cwd();
  const ids = [DEFAULT_TENANT, ...Object.keys(configured).filter((id) => id !== DEFAULT_TENANT)];
  return ids.map((id) => {
    const entry = configured[id] ?? {};
    const apiTokenEnv = entry.apiTokenEnv ?? (id === DEFAULT_TENANT ? 'BATON_API_TOKEN' : undefined);
    const webhookSecretEnv = entry.webhookSecretEnv ?? (id === DEFAULT_TENANT ? 'BATON_WEBHOOK_SECRET' : undefined);
    return {
      id,
      concurrency: entry.concurrency ?? DEFAULT_TENANT_CONCURRENCY,
      ...(entry.rateLimit ? { rateLimit: { max: entry.rateLimit.max, perMs: entry.rateLimit.perMs } } : {}),
      ...(apiTokenEnv ? { apiTokenEnv } : {}),
      ...(webhookSecretEnv ? { webhookSecretEnv } : {}),
      ...(apiTokenEnv && env[apiTokenEnv] ? { apiToken: env[apiTokenEnv] } : {}),
      ...(webhookSecretEnv && env[webhookSecretEnv] ? { webhookSecret: env[webhookSecretEnv] } : {}),
      ...(entry.flows ? { flows: entry.flows.map((p) => path.resolve(folder, p)) } : {}),
    };
  });
}

/**
 * The tenant a flow file belongs to (see {@link TenantConfig.flows}): the one whose `flows` names the file or a
 * folder holding it, else {@link DEFAULT_TENANT}. `baton serve` starts a schedule's runs as its file's tenant's.
 * @param file an absolute path.
 */
export function tenantOfFile(tenants: readonly Pick<Tenant, 'id' | 'flows'>[], file: string): string {
  const target = path.resolve(file);
  for (const tenant of tenants) {
    if (tenant.flows?.some((entry) => target === entry || target.startsWith(entry.endsWith(path.sep) ? entry : entry + path.sep))) return tenant.id;
  }
  return DEFAULT_TENANT;
}

/**
 * Two tenants' `flows` entries that overlap (the same path, or one inside the other): a file there would belong to
 * both. Entries are relative paths (`/`-separated or the platform's), compared normalized.
 * @returns a message naming both fields, or undefined.
 */
export function overlappingFlows(tenants: Record<string, TenantConfig>): string | undefined {
  const entries = Object.entries(tenants).flatMap(([id, t]) => (t.flows ?? []).map((raw) => ({ id, raw, norm: path.posix.normalize(raw.split(path.sep).join('/')).replace(/\/+$/, '') })));
  for (const a of entries) {
    for (const b of entries) {
      if (a.id === b.id) continue;
      const inside = a.norm === '.' || b.norm === a.norm || b.norm.startsWith(`${a.norm}/`);
      if (inside) return `tenants.${b.id}.flows "${b.raw}" ${b.norm === a.norm ? 'is also' : 'is inside'} tenants.${a.id}.flows "${a.raw}": a flow file belongs to one tenant`;
    }
  }
  return undefined;
}
