import pg from 'pg';
import type { ClientConfig, PoolClient, QueryResultRow } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { BatonError } from '@baton/runtime';

/** Options of `PgRunStore.open`: how to connect (and to which schema). */
export interface PgRunStoreOptions {
  /** The password when the URL has none (the editor's SecretStorage); else `PGPASSWORD`. Never printed. */
  password?: string;
  /**
   * The PostgreSQL schema (namespace) the store's tables live in, created when missing (default: the first of the
   * connection's `search_path`, normally `public`). Lower-case letters, digits and `_`. Tests give each store a
   * fresh one.
   */
  schema?: string;
  /** Connections kept open at most (default 10). */
  poolSize?: number;
  /** How long connecting may take before `STORE_UNREACHABLE`, ms (default 10,000). */
  connectTimeoutMs?: number;
  /** `off` sets `synchronous_commit = off` for this store's sessions (commits return before the WAL reaches disk: a server crash may lose the last ~0.6 s of commits, never corrupt). Default `on`. */
  synchronousCommit?: 'on' | 'off';
  /** Environment to read `PGPASSWORD`, `PGUSER`, … from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Where a PostgreSQL store is and how to log in, from its URL (see {@link parseStoreUrl}). */
export interface PgTarget {
  /** The URL without its password (for messages and `location`). */
  location: string;
  /** `host:port`, for messages. */
  where: string;
  user: string;
  database: string;
  /** node-postgres' client settings, the password included (never printed). */
  config: ClientConfig;
}

/**
 * Reads a `postgres://user[:password]@host[:port]/database[?…]` URL (`postgresql://` too; query parameters as
 * libpq reads them: `sslmode`, `options`, `application_name`, …). The password is, in this order, the URL's,
 * `password` (the editor's SecretStorage), or the environment's `PGPASSWORD`; it never appears in
 * `location` or in a message.
 * @throws BatonError `STORE_UNREACHABLE` for a URL that is not one (the message names what is wrong).
 */
export function parseStoreUrl(url: string, password?: string, env: NodeJS.ProcessEnv = process.env): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BatonError('STORE_UNREACHABLE', `the store URL "${redact(url)}" is not a URL; write postgres://user@host:5432/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new BatonError('STORE_UNREACHABLE', `the store URL "${redact(url)}" is not a postgres:// URL`);
  }
  if (!parsed.hostname) throw new BatonError('STORE_UNREACHABLE', `the store URL "${redact(url)}" names no host; write postgres://user@host:5432/database`);
  const urlPassword = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password') ?? '';
  let config: ClientConfig;
  try {
    config = parseIntoClientConfig(url);
  } catch (error) {
    throw new BatonError('STORE_UNREACHABLE', `the store URL "${redact(url)}" cannot be read: ${scrub((error as Error).message, urlPassword)}`);
  }
  const user = config.user || env.PGUSER || env.USER || 'postgres';
  const database = config.database || env.PGDATABASE || user;
  const port = config.port || Number(env.PGPORT) || 5432;
  const secret = urlPassword || password || env.PGPASSWORD || undefined;
  return {
    location: redact(url),
    where: `${parsed.hostname}:${port}`,
    user,
    database,
    config: { ...config, user, database, port, password: secret },
  };
}

/**
 * The pool's client (pg-pool's `Client` option): a connection that fails to log in closes its socket. pg-pool drops
 * such a client without ending it, and node-postgres leaves the socket open (node-postgres issue #2907): when the
 * server asked for a password and none was given, the login failed on the client's side mid-handshake, and the open
 * socket kept the process alive until the server's `authentication_timeout` (60 s by default) — `baton run` said so
 * at once and then hung a minute.
 */
export class SocketClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
  override connect(callback?: (error: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
    if (!callback) {
      return super.connect().catch((error: unknown) => {
        this.connection.stream.destroy();
        throw error;
      });
    }
    super.connect((error: Error | null) => {
      if (error) this.connection.stream.destroy();
      callback(error, error ? undefined : this);
    });
  }
}

/** How long {@link ClosingPool.end} lets its connections close gracefully before it cuts them, ms. */
export const POOL_CLOSE_GRACE_MS = 2000;

/**
 * The store's pool: its `end()` resolves once every connection the pool opened is closed. pg-pool's own resolves as
 * soon as it has asked its idle clients to end, while their sockets still wait for the server's goodbye: a store
 * closed just before its process should exit left sockets open for a moment (mocha's exit guard saw them). A
 * connection whose server does not answer (a network that stopped carrying packets) is cut after
 * {@link POOL_CLOSE_GRACE_MS}, so `end()` never waits longer than that for the goodbyes.
 */
export class ClosingPool extends pg.Pool {
  /** The pool's connections not yet closed (added on connect, removed once a client has ended). */
  private readonly live = new Set<pg.Client>();
  private allClosed: (() => void) | undefined;

  constructor(config?: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) => this.live.add(client));
    this.on('remove', (client) => {
      this.live.delete(client);
      if (this.live.size === 0) this.allClosed?.();
    });
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    const ended = super.end().then(() => this.closed());
    if (!callback) return ended;
    void ended.then(callback);
  }

  /** Resolves once no connection of the pool is open; those still open after the grace are cut. */
  private closed(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cut = setTimeout(() => {
        for (const client of this.live) client.connection.stream.destroy();
      }, POOL_CLOSE_GRACE_MS);
      cut.unref();
      this.allClosed = () => {
        clearTimeout(cut);
        resolve();
      };
    });
  }
}

/** `url` without its password (in the authority or as a `password=` parameter). */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    if (parsed.searchParams.has('password')) parsed.searchParams.delete('password');
    return parsed.toString().replace(/^(postgres(?:ql)?:\/\/[^@/]*):@/, '$1@');
  } catch {
    return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1@');
  }
}

/** `message` with every occurrence of `secret` replaced (a driver message must never carry the password). */
export function scrub(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}

/** SQLSTATE classes and Node socket codes that mean the server is out of reach (not a problem of one query). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/**
 * The `STORE_UNREACHABLE` error for a failure to reach or log in to the server, or undefined when `error` is
 * something else (a failed query). One line naming host:port and what failed; never the password.
 */
export function unreachable(error: unknown, target: PgTarget): BatonError | undefined {
  if (error instanceof BatonError) return undefined;
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const message = scrub(String(e?.message ?? error), typeof target.config.password === 'string' ? target.config.password : undefined);
  const at = `PostgreSQL at ${target.where}`;
  const say = (text: string) => new BatonError('STORE_UNREACHABLE', text);
  switch (code) {
    case 'ECONNREFUSED':
      return say(`cannot reach ${at}: connection refused (is the server running and listening there?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`cannot reach ${at}: no such host`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say(`cannot reach ${at}: ${code === 'ETIMEDOUT' ? 'the connection timed out' : 'no route to the host'}`);
    case '28P01':
      return say(`${at} refused the password of user "${target.user}" (the password comes from the URL or PGPASSWORD)`);
    case '28000':
      return say(`${at} refused user "${target.user}": ${message}`);
    case '3D000':
      return say(`${at} has no database "${target.database}"`);
    case '53300':
      return say(`${at} accepts no more connections: ${message}`);
  }
  if (/client password must be a string|password authentication|no password/i.test(message)) {
    return say(`${at} asks user "${target.user}" for a password and none was given (set PGPASSWORD)`);
  }
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message)) {
    return say(`cannot reach ${at}: the connection timed out`);
  }
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || /Connection terminated|connection (?:was )?closed|Client has encountered a connection error/i.test(message)) {
    return say(`lost the connection to ${at}: ${message}`);
  }
  return undefined;
}

/** PostgreSQL's unique_violation (SQLSTATE). */
export const UNIQUE_VIOLATION = '23505';

/**
 * Runs `body` again (up to 5 tries) when it failed on a unique violation or a deadlock (SQLSTATE 23505, 40P01): a seq
 * or a row taken by another transaction at that very moment, decided afresh on the next try.
 */
export async function retryConflicts<T>(body: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await body();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || (code !== UNIQUE_VIOLATION && code !== '40P01')) throw error;
    }
  }
}

/** A query on any connection of `pool`; `{ name, text }` is prepared once per connection (planned once). @throws `STORE_UNREACHABLE` for a lost server. */
export async function poolQuery<R extends QueryResultRow = QueryResultRow>(pool: pg.Pool, target: PgTarget, sql: string | { name: string; text: string }, values?: unknown[]): Promise<pg.QueryResult<R>> {
  try {
    return await (typeof sql === 'string' ? pool.query<R>(sql, values) : pool.query<R>({ ...sql, values }));
  } catch (error) {
    throw unreachable(error, target) ?? error;
  }
}

/** Runs `body` with a connection of `pool`, released after (destroyed when the server was lost: `STORE_UNREACHABLE`). */
export async function withPoolClient<T>(pool: pg.Pool, target: PgTarget, body: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw unreachable(error, target) ?? error;
  }
  let broken = false;
  try {
    return await body(client);
  } catch (error) {
    const lost = unreachable(error, target);
    broken = lost !== undefined;
    throw lost ?? error;
  } finally {
    client.release(broken);
  }
}

/** Runs `body` in a transaction (READ COMMITTED) on a connection of `pool`; rolled back when it throws. */
export function poolTransaction<T>(pool: pg.Pool, target: PgTarget, body: (client: PoolClient) => Promise<T>): Promise<T> {
  return withPoolClient(pool, target, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
