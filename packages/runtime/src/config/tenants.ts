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
 * Shape: `{ id, concurrency, rateLimit?: { max, perMs }, apiToken?, webhookSecret?, apiTokenEnv?, webhookSecretEnv? }[]`.
 * `baton serve` maps each token and secret to its tenant (and limits its webhook starts with `rateLimit`); a worker
 * builds one queue per tenant with `concurrency` and `rateLimit` (BullMQ's `limiter: { max, duration: perMs }`).
 * Nothing is checked here about secrets (a worker needs none): a named variable that is unset gives `undefined`.
 * @param env where the secrets are read from (default `process.env`).
 */
export function tenantsOf(config: Pick<BatonConfig, 'tenants'>, env: NodeJS.ProcessEnv = process.env): Tenant[] {
  const configured = config.tenants ?? {};
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
    };
  });
}
