/**
 * The agent endpoint of the chaos soak (test/cluster/soak.test.ts): a local HTTP server that `http/` agents POST to
 * (see packages/runtime/src/agents/http-agent.ts and docs/agents.md), answering after a random 5–50 ms, failing a
 * share of the calls transiently (HTTP 503, which a step's `retry` retries), and writing a ledger of every call.
 *
 * Each answered call's output is its ledger number (`"c<seq>"`), so the `step.finished` event that recorded an answer
 * names the very call it came from — the soak's "no finished step called again" check rests on that.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../support/seeded-random.js';
export { seededRandom };

/** One call the endpoint received. Times are `performance.now()` of this process (ms). */
export interface LedgerEntry {
  /** 1, 2, … in the order the calls were received. */
  seq: number;
  /** The first word of the prompt: the soak's tag of the run (its flows start every prompt with `${input.tag}`). */
  tag: string;
  /** The step instance's key (the wire request's `step`). */
  step: string;
  /** The wire request's `callIndex`. */
  callIndex: number;
  /** The `Idempotency-Key` header, when the caller sent one. */
  idempotencyKey?: string;
  receivedAt: number;
  /** When the answer (or the 503) was written; undefined while the call is in flight. */
  answeredAt?: number;
  outcome?: 'answered' | 'failed';
  /** The output answered (`c<seq>`). */
  output?: string;
}

/** Options of {@link SoakAgentServer.start}. */
export interface SoakAgentOptions {
  /** Uniform in [0, 1): the server's only source of chance, so a seed replays a soak's answers. */
  random: () => number;
  /** The share of calls answered HTTP 503 (0–1). */
  failRate: number;
  /** Each call is answered after a uniform delay in [minMs, maxMs]. */
  minMs: number;
  maxMs: number;
}

/** The soak's agent endpoint (see the module comment). */
export class SoakAgentServer {
  readonly ledger: LedgerEntry[] = [];
  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>/agent`. */
    readonly url: string,
  ) {}

  /** Listens on a free loopback port. */
  static async start(options: SoakAgentOptions): Promise<SoakAgentServer> {
    const server = createServer();
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const self = new SoakAgentServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void self.handle(req, res, options));
    return self;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, options: SoakAgentOptions): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the caller was killed while it sent: no call was made
    }
    const receivedAt = performance.now();
    let body: { step?: unknown; prompt?: unknown; callIndex?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"not JSON"}');
      return;
    }
    const header = req.headers['idempotency-key'];
    const entry: LedgerEntry = {
      seq: this.ledger.length + 1,
      tag: String(body.prompt ?? '').split(' ')[0],
      step: String(body.step),
      callIndex: Number(body.callIndex),
      ...(typeof header === 'string' ? { idempotencyKey: header } : {}),
      receivedAt,
    };
    this.ledger.push(entry);
    const fail = options.random() < options.failRate;
    const delay = options.minMs + options.random() * (options.maxMs - options.minMs);
    await new Promise((resolve) => setTimeout(resolve, delay));
    entry.answeredAt = performance.now();
    if (fail) {
      entry.outcome = 'failed';
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy, try again"}');
      return;
    }
    entry.outcome = 'answered';
    entry.output = `c${entry.seq}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ output: entry.output, tokens: 1 }));
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
