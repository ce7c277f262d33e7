import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FlowDef, JsonValue, RunAgents, RunStatus, WorkflowDefinition } from '@baton/protocol';
import { BatonError, checkInputs, DEFAULT_RUN_CONCURRENCY, DEFAULT_TENANT, DueTimerPoller, RunSupervisor, type Accepted, type AgentCaller, type RunSupervision, type RunRecord, type RunStoreApi, type Tenant } from '@baton/runtime';
import { SlidingWindowLimiter } from './rate-limit.js';
import { scheduleStartKey, Scheduler, type ScheduleEntry } from './scheduler.js';

/** A flow the server can start, with the definition it was compiled in. */
export interface ServedFlow {
  definition: WorkflowDefinition;
  flow: FlowDef;
  /** Absolute path of the file declaring it. */
  file: string;
  /** `file · Flow`, for logs. */
  label: string;
}

/** What `baton serve` exposes, from the flows' triggers. */
export interface ServePlan {
  /** `trigger webhook "/path"` → the flow it starts. */
  webhooks: Map<string, ServedFlow>;
  /** `trigger schedule "cron"`. */
  schedules: (ScheduleEntry & { served: ServedFlow })[];
  /** `trigger event "name"` → the flows it starts. */
  events: Map<string, ServedFlow[]>;
}

/** A tenant as the server needs it (see `tenantsOf`): its credentials and its rate limit. */
export type ServeTenant = Pick<Tenant, 'id' | 'apiToken' | 'webhookSecret' | 'rateLimit'>;

/** Options of {@link startServer}. */
export interface ServeOptions {
  store: RunStoreApi;
  /** 127.0.0.1 by default. */
  host: string;
  /** 0: any free port. */
  port: number;
  /** Tenant `default`'s secret for `X-Baton-Signature` (HMAC-SHA256 of the body), when `tenants` is not given. */
  webhookSecret?: string;
  /** Tenant `default`'s token for the runs API (`Authorization: Bearer …`), when `tenants` is not given. */
  apiToken?: string;
  /**
   * The tenants (default: tenant `default` with `webhookSecret` and `apiToken`). A request signed with a tenant's
   * webhook secret, or carrying its API token, is that tenant's: the runs it starts are its runs, the runs API shows
   * and acts on its runs only (another tenant's run is answered as a missing one, 404), an event reaches its
   * waiting runs only, and its webhook and event requests are limited by its `rateLimit` (429 beyond it).
   * Secrets and tokens must differ between tenants. No tenant with a token: the runs API answers 403 (unless
   * `insecure`); a signature that no tenant's secret makes is refused.
   */
  tenants?: ServeTenant[];
  /** No signature and no token required (local development): every request is tenant `default`'s. */
  insecure: boolean;
  /** The largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /**
   * The longest a request may take to arrive, headers and body (ms, default 30,000; headers alone at most
   * 10,000): a slower one is answered 408 and its connection closed.
   */
  requestTimeoutMs?: number;
  /** The most runs executing at once (default {@link DEFAULT_RUN_CONCURRENCY}); more wait in the run queue. */
  concurrency?: number;
  agents?: AgentCaller;
  /**
   * What `agents` are (default stub), stored with every run this server starts. A stored run continues only
   * with its own agents (see {@link RunSupervisorOptions.runAgents}): a request that would continue a run of
   * other agents gets 409 `AGENTS_MISMATCH` and nothing is recorded.
   */
  runAgents?: RunAgents;
  /**
   * Who executes the runs (default: a {@link RunSupervisor} on this thread, built from `agents`, `runAgents`,
   * `concurrency` and `now`). `baton serve` passes an `ExecutorThread`: runs execute on a worker thread and this
   * one only answers requests.
   */
  supervisor?: RunSupervision;
  /**
   * The queue board (`baton serve --board`: Bull Board, packages/cluster/src/board.ts): the listener that answers the
   * requests under {@link BOARD_PATH} of a caller of `tenant` (its tenant's queue only), or of every tenant when
   * `tenant` is undefined (`insecure`). The caller is known by its API token, as Bearer or as the password of HTTP
   * Basic (see {@link Tenants.boardCaller}). Undefined: those paths are 404.
   */
  board?: (tenant: string | undefined) => BoardListener;
  /** The clock, also of the rate limits (tests pass a fake one with `schedules: false`). */
  now?: () => Date;
  /** Run schedules on a real timer (default true); tests drive `server.scheduler.due()` themselves. */
  schedules?: boolean;
  /** How often waiting runs are checked for due timers (ms, default 1,000; 0: never). */
  timerPollMs?: number;
  log: (line: string) => void;
}

/** A running `baton serve`. */
export interface BatonServer {
  /** `http://host:port`. */
  url: string;
  scheduler: Scheduler;
  /** Continues waiting runs whose timer or deadline is due (tests with `timerPollMs: 0` call `timers.poll(ms)`). */
  timers: DueTimerPoller;
  /** Runs executing in this process now. */
  active(): number;
  /** Runs accepted and waiting for a slot of the run queue (stored `queued`). */
  queued(): number;
  /** Resolves when nothing is queued or executing (tests). */
  idle(): Promise<void>;
  /**
   * Graceful stop: no new requests, executing runs interrupted (stored, resumable), queued ones left `queued`
   * (the next start executes them), store kept open for the caller.
   */
  close(): Promise<void>;
}

/** Answers one request of the queue board (a `node:http` listener); resolves once the answer is written. */
export type BoardListener = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** Where `baton serve --board` mounts the queue board: `/board/` (the page), `/board/api/…`, `/board/static/…`. */
export const BOARD_PATH = '/board';

/** The challenge of a refused board request: the browser asks for a user name and password (the API token). */
export const BOARD_CHALLENGE = 'Basic realm="baton board"';

/** An HTTP error answered as `{"error": {"code", "message"}}` (with `headers`, e.g. `Retry-After`). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * `baton serve`'s HTTP server (node:http) on one run store:
 * - `POST <webhook path>`: a JSON body → the flow's inputs (checked against their types: 422 when wrong);
 *   `X-Baton-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body with the webhook secret) required unless
 *   insecure (401); bodies over `maxBodyBytes` get 413; `Idempotency-Key` deduplicates starts (the same key
 *   answers the first run again, 200; keys are per tenant). A start is answered 202 `{runId, flow}` once the run is stored `queued`
 *   (durable: a crash after the answer loses nothing); the run queue ({@link RunSupervisor}, at most
 *   `concurrency` runs executing at once) executes it after the answer, never before it.
 * - `POST /events/:name`: starts the flows with `trigger event "name"` (the body as inputs) and delivers the
 *   event to every run waiting for it (`wait event`); signed like webhooks. 202 `{started, delivered}`.
 * - the runs API (`Authorization: Bearer <token>` unless insecure): `GET /runs[?status&flow&limit]`,
 *   `GET /runs/:id`, `POST /runs/:id/approve` and `/reject` (`{task, decision?, comment?}`; who decides is the
 *   `X-Baton-User` header, stored with the decision), `POST /runs/:id/events/:name`, `POST /runs/:id/cancel`,
 *   `POST /runs/:id/redrive`.
 * - with `board`: the queue board under `/board/`, showing the caller's tenant's queue (Bearer token, or Basic with
 *   the token as password; see {@link Tenants.boardCaller}).
 * - on start, every queued run, every interrupted run and one left `running` by a crash are queued again;
 *   waiting runs whose timer is due are resumed every `timerPollMs`; schedules fire (see {@link Scheduler}), one
 *   run per fire time across every server of the store (the fire time is the run's start key).
 *   Decisions, events and redrives are stored, the run `queued`, before their 202. The HTTP layer only routes:
 *   starting, continuing and stopping runs is the supervisor's.
 * - tenants ({@link ServeOptions.tenants}): the webhook secret that signed a request, or the API token it carries,
 *   says whose it is; every store query it makes is scoped to that tenant (`TenantScope`), and its webhook and event
 *   requests are rate limited per tenant: beyond `rateLimit`, 429 `RATE_LIMITED` with `Retry-After` (seconds),
 *   nothing stored. Schedules start runs of tenant `default`.
 * Every error is JSON with a stable code; nothing a request sends can crash the server.
 */
export async function startServer(plan: ServePlan, options: ServeOptions): Promise<BatonServer> {
  const store = options.store;
  const now = options.now ?? (() => new Date());
  const supervisor: RunSupervision = options.supervisor ?? new RunSupervisor({ store, agents: options.agents, runAgents: options.runAgents, now, concurrency: options.concurrency ?? DEFAULT_RUN_CONCURRENCY, log: options.log });
  const tenants = new Tenants(options.tenants ?? [{ id: DEFAULT_TENANT, webhookSecret: options.webhookSecret, apiToken: options.apiToken }], options.insecure);

  /** Accepts a run of `served` for `tenant` with inputs its caller checked: resolves once it is stored (queued). */
  const start = async (served: ServedFlow, inputs: Record<string, JsonValue>, via: string, tenant: string, startKey?: { scope: string; key: string }): Promise<Accepted> => {
    const accepted = await supervisor.accept({ definition: served.definition, flowName: served.flow.name, inputs, file: served.file, startKey, ...(tenant !== DEFAULT_TENANT ? { tenant } : {}) });
    if (!accepted.duplicate) options.log(`run ${accepted.runId} · ${served.label} started by ${via}${tenant !== DEFAULT_TENANT ? ` for tenant ${tenant}` : ''}`);
    return accepted;
  };

  const scheduler = new Scheduler(
    plan.schedules,
    (entry, at) => {
      const served = plan.schedules.find((s) => s === entry)!.served;
      const notStarted = (error: unknown): void => options.log(`schedule ${entry.label}: not started: ${(error as Error).message}`);
      try {
        // a schedule gives no inputs: a flow with a required one cannot start (the checker warns about it)
        // one run per fire time however many servers share the store: the fire time is the start key
        return start(served, checked(served.flow, {}), `schedule ${entry.cron} (${at.toISOString()})`, DEFAULT_TENANT, scheduleStartKey(entry, at)).then((accepted) => {
          if (!accepted.duplicate) return accepted.done;
          options.log(`schedule ${entry.label}: the ${at.toISOString()} run was started by another server (run ${accepted.runId})`);
          return undefined;
        }, notStarted);
      } catch (error) {
        notStarted(error);
        return undefined;
      }
    },
    options.log,
    now(),
  );

  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): check often enough for the bound to hold
  const server = http.createServer({ requestTimeout, headersTimeout: Math.min(10_000, requestTimeout), connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(requestTimeout / 4))) }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const known = error instanceof HttpError ? error : toHttpError(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // a request whose body was not read to its end (too large) is answered, then its connection closed
      if (!req.complete) closeAfterAnswer(req, res);
      send(res, known.status, { error: { code: known.code, message: known.message } }, known.headers);
    });
  });
  server.on('clientError', answerClientError);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // the queue board (its own routes, static files and JSON API under /board/), of the caller's tenant
    if (options.board && (path === BOARD_PATH || path.startsWith(`${BOARD_PATH}/`))) {
      await options.board(tenants.boardCaller(req))(req, res);
      return;
    }
    // webhooks
    const hook = plan.webhooks.get(path);
    if (hook) {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`);
      const raw = await readBody(req, options.maxBodyBytes);
      const tenant = tenants.signer(req, raw);
      tenants.admit(tenant, now());
      const body = parseJson(raw, req);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(422, 'INPUT_INVALID', `the body must be a JSON object of the inputs of flow ${hook.flow.name}`);
      const key = header(req, 'idempotency-key');
      if (key !== undefined) {
        if (key.length === 0 || key.length > 200) throw new HttpError(400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 characters');
      }
      const inputs = checked(hook.flow, body as Record<string, unknown>);
      const accepted = await start(hook, inputs, `POST ${path}`, tenant, key === undefined ? undefined : { scope: path, key });
      if (accepted.duplicate) send(res, 200, { runId: accepted.runId, flow: hook.flow.name, duplicate: true, status: accepted.status });
      else send(res, 202, { runId: accepted.runId, flow: hook.flow.name });
      return;
    }
    // events
    const eventMatch = /^\/events\/([^/]+)$/.exec(path);
    if (eventMatch) {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`);
      const name = decodeSegment(eventMatch[1]);
      const raw = await readBody(req, options.maxBodyBytes);
      const tenant = tenants.signer(req, raw);
      tenants.admit(tenant, now());
      const scope = { tenant };
      const data = raw.length === 0 ? null : parseJson(raw, req);
      const flows = plan.events.get(name) ?? [];
      const inputsFor = flows.map((served) => checked(served.flow, data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {}));
      const started: string[] = [];
      for (const [i, served] of flows.entries()) started.push((await start(served, inputsFor[i], `event ${name}`, tenant)).runId);
      const delivered: string[] = [];
      for (const run of await store.listRuns({ status: 'waiting', limit: 10_000, tenant })) {
        if (!run.waitingOn.some((w) => w.kind === 'event' && w.event === name)) continue;
        const refused = supervisor.refusal(run);
        if (refused) {
          options.log(`event ${name} not delivered: ${refused}`);
          continue;
        }
        await store.recordSignal(run.id, name, data as JsonValue, scope);
        delivered.push(run.id);
        await supervisor.resume(run.id, scope);
      }
      send(res, 202, { event: name, started, delivered });
      return;
    }
    // runs API
    if (path === '/runs' || path.startsWith('/runs/')) {
      await runsApi(req, res, method, path, url, tenants.caller(req));
      return;
    }
    if (path === '/health' && method === 'GET') {
      send(res, 200, { ok: true, active: supervisor.active(), queued: supervisor.waiting(), webhooks: [...plan.webhooks.keys()], schedules: plan.schedules.length, events: [...plan.events.keys()] });
      return;
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  }

  /** The runs API for `tenant`'s caller: every store query and supervisor request is scoped to its runs. */
  async function runsApi(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string, url: URL, tenant: string): Promise<void> {
    const scope = { tenant };
    if (path === '/runs') {
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/runs takes GET');
      const status = url.searchParams.get('status') ?? undefined;
      const limit = Number(url.searchParams.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'BAD_QUERY', 'limit must be a whole number from 1 to 1000');
      send(res, 200, { runs: await store.listRuns({ status: status as RunStatus | undefined, flow: url.searchParams.get('flow') ?? undefined, limit, tenant }) });
      return;
    }
    const match = /^\/runs\/([^/]+)(?:\/(approve|reject|cancel|redrive|events)(?:\/([^/]+))?)?$/.exec(path);
    if (!match) throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    const [, rawId, action, eventName] = match;
    const run = await store.getRun(decodeSegment(rawId), scope);
    if (!action) {
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`);
      send(res, 200, { run, events: await store.getEvents(run.id, scope) });
      return;
    }
    if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`);
    const raw = await readBody(req, options.maxBodyBytes);
    const body = raw.length === 0 ? {} : parseJson(raw, req);
    const by = header(req, 'x-baton-user') || 'api';
    switch (action) {
      case 'approve':
      case 'reject': {
        const { task, decision, comment } = (body ?? {}) as { task?: unknown; decision?: unknown; comment?: unknown };
        if (typeof task !== 'string' || task === '') throw new HttpError(422, 'DECISION_INVALID', 'the body needs "task": the approval\'s name');
        if (decision !== undefined && typeof decision !== 'string') throw new HttpError(422, 'DECISION_INVALID', '"decision" must be a string');
        const chosen = action === 'reject' ? 'rejected' : ((decision as string | undefined) ?? 'approved');
        assertAgents(run);
        const event = await store.recordDecision(run.id, task, { decision: chosen, by, comment: typeof comment === 'string' ? comment : undefined }, scope);
        await supervisor.resume(run.id, scope);
        send(res, 202, { runId: run.id, task, decision: chosen, by, at: event.time });
        return;
      }
      case 'events': {
        if (!eventName) throw new HttpError(404, 'NOT_FOUND', 'name the event: /runs/:id/events/:name');
        const name = decodeSegment(eventName);
        assertAgents(run);
        await store.recordSignal(run.id, name, body as JsonValue, scope);
        await supervisor.resume(run.id, scope);
        send(res, 202, { runId: run.id, event: name });
        return;
      }
      case 'cancel': {
        const status = await supervisor.cancel(run.id, by, scope);
        send(res, 202, { runId: run.id, status });
        return;
      }
      case 'redrive': {
        assertAgents(run);
        await supervisor.redrive(run.id, scope);
        send(res, 202, { runId: run.id });
        return;
      }
    }
  }

  /** Refuses (409) a request that would continue a run whose agents this server does not run — before anything is recorded. */
  const assertAgents = (run: RunRecord): void => {
    const refused = supervisor.refusal(run);
    if (refused) throw new HttpError(409, 'AGENTS_MISMATCH', refused);
  };

  const checked = (flow: FlowDef, raw: Record<string, unknown>): Record<string, JsonValue> => {
    try {
      return checkInputs(flow, raw);
    } catch (error) {
      throw error instanceof BatonError ? new HttpError(422, error.code, error.message) : error;
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  // runs accepted but not executed, and runs a crash or a shutdown left behind
  await supervisor.recover();
  // waiting runs whose timer or deadline is due are continued (the runtime's poller: the HTTP layer only routes)
  const timers = new DueTimerPoller({ store, supervisor, now, intervalMs: options.timerPollMs ?? 1000, log: options.log });
  timers.start();
  if (options.schedules !== false) scheduler.start(now);

  return {
    url,
    scheduler,
    timers,
    active: () => supervisor.active(),
    queued: () => supervisor.waiting(),
    idle: () => supervisor.idle(),
    close: async () => {
      scheduler.stop();
      timers.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await supervisor.close();
    },
  };
}

/**
 * Answers what node:http could not read as a request — a malformed request line, header or chunk (400
 * `BAD_REQUEST`), headers too large (431 `HEADERS_TOO_LARGE`), a request that did not arrive within the request
 * timeout (408 `REQUEST_TIMEOUT`) — with the same JSON error as every other refusal, then closes the
 * connection. When an answer was already being written on it, or the peer is gone, the connection is only closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'Bad Request', 'BAD_REQUEST', `the request is not valid HTTP/1.1 (${error.code ?? 'unreadable'})`];
  const text = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  // a peer that never reads the answer cannot hold the connection open
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A percent-encoded path segment, decoded. @throws HttpError 400 `BAD_PATH` when it is not UTF-8 percent-encoding. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'BAD_PATH', `the path segment "${segment}" is not valid percent-encoded UTF-8`);
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** How long a connection whose request body was refused unread keeps being drained after the answer, ms. */
const LINGER_MS = 2_000;

/**
 * Closes the connection of a request whose body was not read to its end, after its answer is written: the
 * answer says `Connection: close`, the rest of the body is read and dropped (so the peer reads the answer
 * instead of a reset — closing a socket with unread input sends RST, which can discard the answer at the peer),
 * and the socket is destroyed when the body ends or after {@link LINGER_MS} (an endless body cannot hold it).
 */
function closeAfterAnswer(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
  req.removeAllListeners('data');
  req.resume();
  res.once('finish', () => {
    const socket = req.socket;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * The raw body, at most `limit` bytes: beyond it, 413 `BODY_TOO_LARGE` (a declared Content-Length is checked
 * before reading; a chunked body is counted as it arrives). What is left of a refused body is not read: the
 * caller's answer closes the connection ({@link closeAfterAnswer}).
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new HttpError(413, 'BODY_TOO_LARGE', `the body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (error) => reject(new HttpError(400, 'BAD_REQUEST', error.message)));
  });
}

/** Decodes UTF-8 and throws at the first malformed sequence (overlong forms, surrogates, truncations included). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as JSON: 415 `UNSUPPORTED_MEDIA_TYPE` unless the content type is JSON, 400 `BODY_NOT_UTF8` (naming
 * the byte offset of the first malformed sequence) when it is not valid UTF-8 — never decoded with U+FFFD
 * replacements — and 400 `BAD_JSON` when it does not parse.
 */
function parseJson(raw: Buffer, req: http.IncomingMessage): unknown {
  const type = header(req, 'content-type') ?? '';
  if (raw.length > 0 && !/^application\/(.+\+)?json\b/i.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send JSON (Content-Type: application/json), not ${type || 'no content type'}`);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'BODY_NOT_UTF8', `the body is not valid UTF-8 (a malformed byte sequence at byte ${firstMalformedUtf8(raw)}); send JSON encoded as UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'BAD_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The offset (bytes) of the first malformed UTF-8 sequence in `bytes` (its length when there is none), by the
 * well-formed byte sequences of the Unicode Standard, table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence.
 */
export function firstMalformedUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // [length, allowed range of the second byte] by the lead byte (table 3-7)
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > bytes.length) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += n;
  }
  return i;
}

/**
 * Who a request is from: the tenants' webhook secrets and API tokens (see {@link ServeOptions.tenants}), and each
 * tenant's rate limit on its webhook and event requests.
 */
class Tenants {
  /** Each tenant with a token: the SHA-256 of the token (compared in constant time, whatever its length). */
  private readonly tokens: { id: string; digest: Buffer }[];
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(
    private readonly tenants: ServeTenant[],
    private readonly insecure: boolean,
  ) {
    this.tokens = tenants.filter((t) => t.apiToken).map((t) => ({ id: t.id, digest: sha256(t.apiToken!) }));
    for (const t of tenants) if (t.rateLimit) this.limiters.set(t.id, new SlidingWindowLimiter(t.rateLimit));
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
   * Counts one webhook or event request of `tenant` at `now` against its rate limit.
   * @throws HttpError 429 `RATE_LIMITED` with `Retry-After` (whole seconds, at least 1) beyond the limit.
   */
  admit(tenant: string, now: Date): void {
    const limiter = this.limiters.get(tenant);
    if (!limiter) return;
    const taken = limiter.take(now.getTime());
    if (taken.admitted) return;
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    throw new HttpError(429, 'RATE_LIMITED', `more than ${limiter.limit.max} webhook and event requests in ${limiter.limit.perMs} ms for this tenant; retry in ${seconds} s`, { 'retry-after': String(seconds) });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The password of HTTP Basic credentials (base64 of `user:password`, UTF-8); '' when there is no `:`. */
function basicPassword(base64: string): string {
  const pair = Buffer.from(base64, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon < 0 ? '' : pair.slice(colon + 1);
}

/** Runtime errors as HTTP answers: unknown runs 404, conflicts 409, bad input 422, the rest 500. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof BatonError) {
    switch (error.code) {
      case 'RUN_NOT_FOUND':
        return new HttpError(404, error.code, error.message);
      case 'RUN_ID_AMBIGUOUS':
      case 'INPUT_INVALID':
      case 'DECISION_INVALID':
        return new HttpError(422, error.code, error.message);
      case 'RUN_FINISHED':
      case 'TASK_NOT_WAITING':
      case 'EVENT_NOT_AWAITED':
      case 'RUN_NOT_FAILED':
      case 'RUN_COMPENSATED':
        return new HttpError(409, error.code, error.message);
      case 'EXECUTOR_STOPPED':
      case 'STORE_BUSY':
        return new HttpError(503, error.code, error.message);
    }
    return new HttpError(500, error.code, error.message);
  }
  return new HttpError(500, 'INTERNAL', 'the server could not handle this request');
}
