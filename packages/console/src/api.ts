// The console's client of `baton serve`'s JSON API: same-origin requests with the session cookie, `X-CSRF-Token`
// and `X-Baton-Action-Id` on everything that changes something, errors as one {@link ApiError} (docs/security.md).
// Every request names the page's tenant (`?tenant=`, router.ts) when the user chose one.
import { withTenant } from './router.js';

/** A refused or failed request: the server's `{error: {code, message}}`, or `status` 0 / `NETWORK` when it did not answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the client needs from the signed-in session and the page: kept by session.ts, read per request. */
export interface ApiContext {
  /** The session's CSRF token (undefined: not signed in, or `--insecure`). */
  csrfToken(): string | undefined;
  /** Called on a 401 (the session ended or was refused): session.ts clears it and shows the sign-in page. */
  unauthorized(error: ApiError): void;
}

let context: ApiContext = { csrfToken: () => undefined, unauthorized: () => undefined };

/** Sets what every request reads (session.ts does, once). */
export function configureApi(next: ApiContext): void {
  context = next;
}

/**
 * A new id for one user action (a click on Approve, a submitted form): `X-Baton-Action-Id`. The server refuses a
 * second request with the same id (409 `ACTION_REPLAYED`), so a page keeps the id of an action while it retries
 * that same action after a network error, and makes a new one for the next action.
 */
export function newActionId(): string {
  return crypto.randomUUID();
}

/** Options of {@link request}. */
export interface RequestOptions {
  body?: unknown;
  /** `X-Baton-Action-Id` (required by the server for POST/DELETE with a session); see {@link newActionId}. */
  actionId?: string;
  /** A 401 is only thrown (the sign-in form itself: a wrong token is not a lost session). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/**
 * One request to the server (same origin, with the session cookie): resolves with the JSON answer of a 2xx.
 * @throws ApiError with the server's status, code and message; status 0 `NETWORK` when the server did not answer;
 *   on 401 the session is dropped and the sign-in page shown (unless `quiet401`), then the error thrown.
 */
export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = context.csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
    if (options.actionId) headers['x-baton-action-id'] = options.actionId;
  }
  let res: Response;
  try {
    res = await fetch(withTenant(path), { method, headers, credentials: 'same-origin', cache: 'no-store', ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', `the server did not answer (${(error as Error).message}); try again`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const failure = new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `${method} ${path} answered ${res.status}`);
  if (res.status === 401 && !options.quiet401) context.unauthorized(failure);
  throw failure;
}

/** `GET path` (JSON). See {@link request}. */
export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, signal ? { signal } : {});
}

/** `POST path` with a JSON body and an action id. See {@link request}. */
export function post<T>(path: string, body: unknown, actionId: string): Promise<T> {
  return request<T>('POST', path, { body, actionId });
}

/** A path with a query: entries that are undefined or '' are left out. `withQuery('/runs', {flow: 'A'})` → `/runs?flow=A`. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}
