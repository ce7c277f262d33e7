import pg from 'pg';
import { BatonError, type RunChanges, type RunWatchOptions } from '@baton/runtime';
import { unreachable, type PgTarget } from './pg-connection.js';

/** The first pause before reconnecting, ms; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
/** How often an idle listening connection is checked with a query (a silent network loss is found then), ms. */
const HEARTBEAT_MS = 10_000;

/**
 * One {@link RunStoreApi.watchRuns} of the PostgreSQL store: a connection of its own (not the pool's) that
 * `LISTEN`s on the store's channel (`notifyChannel`, fed by the triggers of migration 2 inside each writing
 * transaction, so every notification is of a commit). A payload is run ids, comma-separated, or `*` (too many for
 * one payload: reported as `'all'`).
 *
 * A lost connection (server restarted, network gone — found by the socket closing or by a heartbeat query every
 * 10 s) is told once through `onConnection('lost', …)`; it reconnects with backoff (0.25 s doubling up to 5 s),
 * then tells `onConnection('restored', …)` and reports `'all'` (notifications sent meanwhile are lost). `restored`
 * comes once the new connection's `LISTEN` has been answered: a change committed after it is reported.
 *
 * {@link stop} leaves nothing behind: the retry timer and the heartbeat are cleared, a connection still being opened
 * (a reconnect in flight) is closed at once, and it resolves once every connection of the watch is closed.
 */
export class PgRunWatch {
  private client: pg.Client | undefined;
  private stopped = false;
  private lostAt: number | undefined;
  private backoff = FIRST_BACKOFF_MS;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** The connection being opened and listened on (the start, or a reconnect), and when that ends either way. */
  private opening: { client: pg.Client; settled: Promise<void> } | undefined;
  /** The ends of connections being closed (a lost one): {@link stop} waits for them. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly target: PgTarget,
    private readonly channel: string,
    private readonly listener: (changes: RunChanges) => void,
    private readonly options: RunWatchOptions,
  ) {}

  /**
   * Connects and listens.
   * @throws BatonError `STORE_UNREACHABLE` (one line, no password).
   */
  async start(): Promise<void> {
    await this.connect();
  }

  /**
   * Stops listening; no report after it resolves, and no connection or timer of the watch is left: a reconnect in
   * flight is cut (it would otherwise hold its socket until it connected or timed out, up to `connectTimeoutMs`).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    if (client) void this.end(client);
    const opening = this.opening;
    if (opening) {
      void this.end(opening.client, true);
      await opening.settled;
    }
    await Promise.all(this.closing);
  }

  /**
   * Closes a connection of the watch (never rejects); {@link stop} waits for it. `cut`: its socket is destroyed instead
   * of ended — for a connection still being opened or one that was lost. node-postgres ends a connection gracefully
   * (Terminate, then a half-close that waits for the peer, which a lost network never answers), and a client ended
   * while it connects never settles its `connect()`; destroyed, it fails that `connect()` (or its `LISTEN`) at once.
   */
  private end(client: pg.Client, cut = false): Promise<void> {
    const stream = client.connection.stream;
    const ended: Promise<void> = cut
      ? new Promise<void>((resolve) => {
          if (stream.closed) return resolve();
          stream.once('close', () => resolve());
          stream.destroy();
        })
      : client.end().then(
          () => undefined,
          () => undefined,
        );
    this.closing.add(ended);
    void ended.then(() => this.closing.delete(ended));
    return ended;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, keepAlive: true, application_name: `baton watch ${this.channel}`.slice(0, 63) });
    let up = false;
    client.on('error', (error) => (up ? this.lose(client, error) : undefined));
    client.on('end', () => (up ? this.lose(client, new Error('Connection terminated')) : undefined));
    client.on('notification', (message) => {
      if (this.stopped || this.client !== client || message.channel !== this.channel) return;
      const payload = message.payload ?? '';
      this.listener(payload === '*' || payload === '' ? 'all' : payload.split(','));
    });
    const listening = (async () => {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
    })();
    const opening = { client, settled: listening.then(() => undefined, () => undefined) };
    this.opening = opening;
    try {
      await listening;
    } catch (error) {
      await this.end(client, true);
      throw unreachable(error, this.target) ?? new BatonError('STORE_UNREACHABLE', `cannot listen to PostgreSQL at ${this.target.where}: ${(error as Error).message}`);
    } finally {
      if (this.opening === opening) this.opening = undefined;
    }
    if (this.stopped) {
      await this.end(client);
      return;
    }
    up = true;
    this.client = client;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => this.lose(client, error));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The listening connection failed: say so once, drop it, reconnect after a pause. */
  private lose(client: pg.Client, error: unknown): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void this.end(client, true);
    if (this.lostAt === undefined) {
      this.lostAt = Date.now();
      const why = unreachable(error, this.target)?.message ?? `lost the connection to PostgreSQL at ${this.target.where}: ${(error as Error)?.message ?? String(error)}`;
      this.options.onConnection?.('lost', why);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const pause = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().then(
        () => {
          // stopped meanwhile, or lost again before this ran (a reconnect is already planned)
          if (this.stopped || !this.client) return;
          const away = this.lostAt === undefined ? 0 : Date.now() - this.lostAt;
          this.lostAt = undefined;
          this.backoff = FIRST_BACKOFF_MS;
          this.options.onConnection?.('restored', `listening again to PostgreSQL at ${this.target.where} (after ${(away / 1000).toFixed(1)} s)`);
          this.listener('all');
        },
        () => this.scheduleReconnect(),
      );
    }, pause);
  }
}
