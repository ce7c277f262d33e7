// Who a `baton serve` request is from: the tenants' webhook secrets (HMAC-SHA256 signatures) and API tokens
// (Bearer, or HTTP Basic for the queue board), each compared in constant time, and each tenant's rate limit.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { DEFAULT_TENANT, type RateLimit } from '@baton/runtime';
import { header, HttpError } from './http-io.js';
import { LocalRateLimits, type TenantRateLimits } from './rate-limit.js';
import type { ServeTenant } from './server.js';

/** The challenge of a refused board request: the browser asks for a user name and password (the API token). */
export const BOARD_CHALLENGE = 'Basic realm="baton board"';

/**
 * Who a request is from: the tenants' webhook secrets and API tokens (see {@link ServeOptions.tenants}), and each
 * tenant's rate limit on its webhook and event requests.
 */
export class Tenants {
  /** Each tenant with a token: the SHA-256 of the token (compared in constant time, whatever its length). */
  private readonly tokens: { id: string; digest: Buffer }[];
  private readonly limits = new Map<string, RateLimit>();

  /** @param rateLimits where the tenants' requests are counted (default: in this process, {@link LocalRateLimits}). */
  constructor(
    private readonly tenants: ServeTenant[],
    private readonly insecure: boolean,
    private readonly rateLimits: TenantRateLimits = new LocalRateLimits(),
  ) {
    this.tokens = tenants.filter((t) => t.apiToken).map((t) => ({ id: t.id, digest: sha256(t.apiToken!) }));
    for (const t of tenants) if (t.rateLimit) this.limits.set(t.id, t.rateLimit);
  }

  /**
   * The tenant whose webhook secret signed `raw`: `X-Baton-Signature: sha256=<hex>` must be the HMAC-SHA256 of the
   * raw body with its secret (each tenant's compared in constant time). Insecure: tenant `default`, unsigned.
   * @throws HttpError 401 `SIGNATURE_MISSING`, `SIGNATURE_INVALID`.
   */
  signer(req: http.IncomingMessage, raw: Buffer): string {
    if (this.insecure) return DEFAULT_TENANT;
    const given = header(req, 'x-baton-signature');
    if (!given) throw new HttpError(401, 'SIGNATURE_MISSING', 'X-Baton-Signature is required: sha256=<HMAC-SHA256 of the body with the webhook secret, hex>');
    const hex = given.startsWith('sha256=') ? given.slice(7) : given;
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new HttpError(401, 'SIGNATURE_INVALID', 'X-Baton-Signature does not match the body');
    const actual = Buffer.from(hex, 'hex');
    let signer: string | undefined;
    // every secret is tried (no early exit): the time taken does not tell which tenant's matched
    for (const t of this.tenants) {
      if (!t.webhookSecret) continue;
      const expected = createHmac('sha256', t.webhookSecret).update(raw).digest();
      if (timingSafeEqual(actual, expected)) signer ??= t.id;
    }
    if (signer === undefined) throw new HttpError(401, 'SIGNATURE_INVALID', 'X-Baton-Signature does not match the body');
    return signer;
  }

  /**
   * The tenant whose API token the request carries (`Authorization: Bearer <token>`). Insecure: tenant `default`.
   * @throws HttpError 403 `API_DISABLED` (no tenant has a token), 401 `UNAUTHORIZED`.
   */
  caller(req: http.IncomingMessage): string {
    if (this.insecure) return DEFAULT_TENANT;
    if (this.tokens.length === 0) throw new HttpError(403, 'API_DISABLED', 'the runs API is off: start baton serve with BATON_API_TOKEN set (or a tenant\'s apiTokenEnv; or --insecure for local use)');
    const given = header(req, 'authorization') ?? '';
    const digest = sha256(given.startsWith('Bearer ') ? given.slice(7) : '');
    let caller: string | undefined;
    for (const t of this.tokens) if (timingSafeEqual(digest, t.digest)) caller ??= t.id;
    if (caller === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'Authorization: Bearer <API token> is required');
    return caller;
  }

  /** Whether any tenant has an API token. */
  hasTokens(): boolean {
    return this.tokens.length > 0;
  }

  /** The tenant whose API token is `token` (every tenant's compared in constant time), or undefined. */
  tokenOwner(token: string): string | undefined {
    const digest = sha256(token);
    let owner: string | undefined;
    for (const t of this.tokens) if (timingSafeEqual(digest, t.digest)) owner ??= t.id;
    return owner;
  }

  /**
   * The tenant of a queue-board request: its API token as `Authorization: Bearer <token>` or — what a browser can
   * send — HTTP Basic (RFC 7617) whose password is the token, any user name (each tenant's compared in constant
   * time). Insecure: undefined (every tenant's queues). The token is never logged.
   * @throws HttpError 403 `BOARD_DISABLED` (no tenant has a token), 401 `UNAUTHORIZED` with
   *   `WWW-Authenticate: Basic realm="baton board"` (the browser then asks) when the credentials are missing or wrong.
   */
  boardCaller(req: http.IncomingMessage): string | undefined {
    if (this.insecure) return undefined;
    if (this.tokens.length === 0) throw new HttpError(403, 'BOARD_DISABLED', 'the queue board is off: start baton serve with BATON_API_TOKEN set (or a tenant\'s apiTokenEnv; or --insecure for local use)');
    const given = header(req, 'authorization') ?? '';
    const basic = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(given);
    const digest = sha256(given.startsWith('Bearer ') ? given.slice(7) : basic ? basicPassword(basic[1]) : '');
    let caller: string | undefined;
    for (const t of this.tokens) if (timingSafeEqual(digest, t.digest)) caller ??= t.id;
    if (caller === undefined) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the queue board takes an API token: Authorization: Bearer <token>, or Basic with it as the password', { 'www-authenticate': BOARD_CHALLENGE });
    }
    return caller;
  }

  /**
   * Counts one webhook or event request of `tenant` at `now` against its rate limit (in this process, or across the
   * cluster: see {@link TenantRateLimits}).
   * @throws HttpError 429 `RATE_LIMITED` with `Retry-After` (whole seconds, at least 1) beyond the limit.
   */
  async admit(tenant: string, now: Date): Promise<void> {
    const limit = this.limits.get(tenant);
    if (!limit) return;
    const taken = await this.rateLimits.take(tenant, limit, now.getTime());
    if (taken.admitted) return;
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    throw new HttpError(429, 'RATE_LIMITED', `more than ${limit.max} webhook and event requests in ${limit.perMs} ms for this tenant; retry in ${seconds} s`, { 'retry-after': String(seconds) });
  }
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The password of HTTP Basic credentials (base64 of `user:password`, UTF-8); '' when there is no `:`. */
export function basicPassword(base64: string): string {
  const pair = Buffer.from(base64, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon < 0 ? '' : pair.slice(colon + 1);
}
