// A TCP relay to the test PostgreSQL server, standing for the network between a Baton process and its database:
// the PostgreSQL suites cut it, refuse new connections, or hold them unanswered, to test what the store does when
// the network fails.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What the relay does with a new connection: `forward` it to the server; `refuse` it (closed at once, as a host
 * whose server is down); `hold` it (accepted, never answered, as a network that drops packets).
 */
export type RelayMode = 'forward' | 'refuse' | 'hold';

/** A relay on 127.0.0.1 (a free port, kept across {@link PgRelay.restart}) to the server of `upstream` (a postgres:// URL). */
export class PgRelay {
  mode: RelayMode = 'forward';
  /** When each connection the relay refused arrived (ms since the epoch), in order. */
  readonly refused: number[] = [];
  /** The connections held unanswered (mode `hold`), still open. */
  readonly held = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  /** The forwarded connections: the one accepted and the one to the server. */
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly arrivals: (() => void)[] = [];

  private server!: Server;
  /** The relay's port. */
  port = 0;

  private constructor(private readonly upstream: URL) {}

  /** Starts a relay to `upstream`'s host and port, on a free port. */
  static async start(upstream: string): Promise<PgRelay> {
    const relay = new PgRelay(new URL(upstream));
    relay.server = await relay.listen(0);
    relay.port = (relay.server.address() as AddressInfo).port;
    return relay;
  }

  /** `upstream` with the relay's address in place of the server's. */
  url(upstream: string): string {
    const through = new URL(upstream);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  /** Resolves once `holds()` is true, checked each time a connection arrives (and now). */
  async until(holds: () => boolean): Promise<void> {
    while (!holds()) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  /**
   * The network stops carrying packets: the open connections stay open but nothing passes any more — not even a
   * goodbye (accepted connections are half-open: an end from the client is not answered) — and new ones are held.
   */
  freeze(): void {
    this.mode = 'hold';
    for (const [client, server] of this.pairs) {
      client.unpipe(server);
      server.unpipe(client);
    }
  }

  /** The network goes: every connection cut, nothing listening. */
  async stop(): Promise<void> {
    await new Promise((resolve) => {
      this.server.close(resolve);
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** It comes back, on the same port. */
  async restart(): Promise<void> {
    this.server = await this.listen(this.port);
  }

  private listen(port: number): Promise<Server> {
    return new Promise((resolve) => {
      // half-open: a client's end is passed on while forwarding (pipe), and left unanswered once frozen
      const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'refuse') {
      this.refused.push(Date.now());
      client.destroy();
    } else if (this.mode === 'hold') {
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
    } else {
      const server = connect(Number(this.upstream.port || 5432), this.upstream.hostname);
      this.track(server);
      const pair: [Socket, Socket] = [client, server];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      client.pipe(server).pipe(client);
    }
    for (const arrived of this.arrivals.splice(0)) arrived();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
