// The console's sign-in sessions of `baton serve`: a session is a cookie holding its claims and their
// HMAC-SHA256 under a server secret (nothing is stored server-side but the sessions signed out before they expire).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { header, HttpError } from './http-io.js';

/** The cookie's name over plain HTTP. */
export const SESSION_COOKIE = 'baton_session';
/** The cookie's name when it is Secure: the `__Host-` prefix makes browsers refuse it unless Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2). */
export const SECURE_SESSION_COOKIE = '__Host-baton_session';

/** Who a session is for: a configured user (`users.<name>`), or a tenant's API token (no users configured, or a service token). */
export interface SessionSubject {
  kind: 'user' | 'tenant';
  /** The user name, or the tenant id for `tenant`. */
  name: string;
  tenant: string;
}

/** A session's claims, as signed into its cookie. `exp`: when it ends, ms since the epoch. `sid`: 128 random bits, base64url. */
export interface SessionClaims extends SessionSubject {
  sid: string;
  exp: number;
}

/** Options of {@link Sessions}. */
export interface SessionOptions {
  /** The key of the cookies' HMAC-SHA256 (and of the CSRF tokens derived from a session). */
  secret: Buffer;
  /** How long a session lasts after sign-in, ms. */
  maxAgeMs: number;
  /** Mark the cookie `Secure` (and name it {@link SECURE_SESSION_COOKIE}): the console is served over https. */
  secure: boolean;
}

const b64url = (bytes: Buffer): string => bytes.toString('base64url');
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Issues and checks session cookies. The cookie value is `base64url(JSON claims) "." base64url(HMAC-SHA256(secret,
 * that first part))`, the MAC compared in constant time; the cookie is `HttpOnly; SameSite=Strict; Path=/`, `Secure`
 * when {@link SessionOptions.secure}, with `Max-Age` the session's remaining life. A session signed out is remembered
 * (its id, until it would have expired) so its cookie, replayed, is refused.
 */
export class Sessions {
  private readonly ended = new Map<string, number>();

  constructor(private readonly options: SessionOptions) {}

  /** The cookie's name. */
  get cookieName(): string {
    return this.options.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  }

  /** A new session for `subject` from `now`: its claims, the `Set-Cookie` value and its CSRF token. */
  issue(subject: SessionSubject, now: number): { claims: SessionClaims; setCookie: string; csrfToken: string } {
    const claims: SessionClaims = { kind: subject.kind, name: subject.name, tenant: subject.tenant, sid: b64url(randomBytes(16)), exp: now + this.options.maxAgeMs };
    const payload = b64url(Buffer.from(JSON.stringify(claims), 'utf8'));
    const value = `${payload}.${b64url(this.mac(payload))}`;
    return { claims, setCookie: this.cookie(value, Math.floor(this.options.maxAgeMs / 1000)), csrfToken: this.csrfToken(claims) };
  }

  /** The `Set-Cookie` value that removes the session cookie from the browser. */
  clearing(): string {
    return this.cookie('', 0);
  }

  /**
   * The session whose cookie the request carries, checked at `now`; undefined when it carries none.
   * @throws HttpError 401 `SESSION_INVALID` (not made by this server's secret — forged or changed —, or signed out),
   *   401 `SESSION_EXPIRED` (past its `exp`).
   */
  read(req: http.IncomingMessage, now: number): SessionClaims | undefined {
    const value = cookieValue(header(req, 'cookie'), this.cookieName);
    if (value === undefined) return undefined;
    const invalid = new HttpError(401, 'SESSION_INVALID', 'the session cookie is not valid (sign in again: POST /session)');
    const dot = value.lastIndexOf('.');
    const payload = value.slice(0, dot);
    const mac = value.slice(dot + 1);
    if (dot <= 0 || !BASE64URL.test(payload) || !BASE64URL.test(mac)) throw invalid;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    let claims: SessionClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionClaims;
    } catch {
      throw invalid;
    }
    if (typeof claims?.sid !== 'string' || typeof claims.exp !== 'number' || typeof claims.name !== 'string' || typeof claims.tenant !== 'string' || (claims.kind !== 'user' && claims.kind !== 'tenant')) throw invalid;
    if (claims.exp <= now) throw new HttpError(401, 'SESSION_EXPIRED', 'the session has expired (sign in again: POST /session)');
    if (this.ended.has(claims.sid)) throw new HttpError(401, 'SESSION_INVALID', 'the session was signed out (sign in again: POST /session)');
    return claims;
  }

  /** Ends `claims`' session: its cookie is refused from now on (remembered until it would have expired). */
  end(claims: SessionClaims, now: number): void {
    for (const [sid, exp] of this.ended) if (exp <= now) this.ended.delete(sid);
    this.ended.set(claims.sid, claims.exp);
  }

  /**
   * The session's CSRF token: base64url(HMAC-SHA256(secret, "csrf:" + session id)) — a synchronizer token bound to
   * the session (OWASP CSRF Prevention Cheat Sheet, "signed double-submit"/HMAC token): it cannot be made without
   * the secret, and a page of another origin cannot read it.
   */
  csrfToken(claims: SessionClaims): string {
    return b64url(createHmac('sha256', this.options.secret).update(`csrf:${claims.sid}`).digest());
  }

  /**
   * Checks the request's `X-CSRF-Token` against its session's, in constant time (both hashed first, so their
   * lengths do not matter).
   * @throws HttpError 403 `CSRF_TOKEN_MISSING`, 403 `CSRF_TOKEN_INVALID`.
   */
  checkCsrf(req: http.IncomingMessage, claims: SessionClaims): void {
    const given = header(req, 'x-csrf-token');
    if (!given) throw new HttpError(403, 'CSRF_TOKEN_MISSING', 'a request that changes something, made with the session cookie, needs X-CSRF-Token: the csrfToken of POST /session or GET /session');
    const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
    if (!timingSafeEqual(digest(given), digest(this.csrfToken(claims)))) throw new HttpError(403, 'CSRF_TOKEN_INVALID', 'X-CSRF-Token is not this session\'s (GET /session gives it)');
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.options.secret).update(`session:${payload}`).digest();
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${this.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.options.secure ? '; Secure' : ''}`;
  }
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4: `name=value` pairs separated by `; `), the first one. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The actions already taken (RFC-style idempotency keys, `X-Baton-Action-Id`), each remembered until its window ends:
 * the same id from the same user again within it is a replay.
 */
export class ActionLedger {
  private readonly seen = new Map<string, number>();

  /**
   * Records action `id` of `who` until `until` (ms since the epoch).
   * @throws HttpError 409 `ACTION_REPLAYED` when it was taken already and its window has not ended.
   */
  take(who: string, id: string, now: number, until: number): void {
    const key = `${who}\u0000${id}`;
    const known = this.seen.get(key);
    if (known !== undefined && known > now) throw new HttpError(409, 'ACTION_REPLAYED', `action ${JSON.stringify(id)} was already taken (X-Baton-Action-Id is used once): nothing was done again`);
    if (this.seen.size >= 1024 && this.seen.size % 1024 === 0) for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    this.seen.set(key, until);
  }
}
