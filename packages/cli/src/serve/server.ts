import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EstimateConfig, EventDef, FlowDef, JsonValue, RunAgents, WorkflowDefinition } from '@baton/protocol';
import { BatonError, checkEventData, checkInputs, matchesWhere, DEFAULT_RUN_CONCURRENCY, DEFAULT_TENANT, DueTimerPoller, RunSupervisor, type Accepted, type AgentCaller, type LiveRelayLink, type MigrationProblem, type RunSupervision, type RunStoreApi, type Tenant, type User } from '@baton/runtime';
import { randomBytes } from 'node:crypto';
import { answerClientError, closeAfterAnswer, decodeSegment, header, HttpError, parseJson, readBody, send, toHttpError } from './http-io.js';
import { Tenants } from './tenant-auth.js';
import type { ServeMetrics } from './metrics.js';
import { Access } from './access.js';
import { Sessions } from './sessions.js';
import { sessionRoute } from './session-route.js';
import { inbox } from './inbox-route.js';
import { serveDefinition } from './definition-route.js';
import { GraphLayouts, layOutServedFlows } from './layout-service.js';
import { LiveHub } from './live-hub.js';
import { streamRoute } from './live-route.js';
import { flowsOf } from './flows-route.js';
import { StatsRoute } from './stats-route.js';
import { runsApi, servedFlows, type RouteContext } from './runs-route.js';
import { checkQuery } from './runs-query.js';
import { notificationsRoute } from './notifications-route.js';
import { mcpRoute } from './mcp-route.js';
import { ConsoleRoute, defaultConsoleDir } from './console-route.js';
import type { TenantRateLimits } from './rate-limit.js';
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
  /** The served folder (absolute): `GET /flows` names files relative to it. */
  root?: string;
}

/**
 * The declaration of event `name` in the served files (`event "name" { … }` in a file served or one it imports), if
 * any: a broadcast's body is checked against its `data` even when no run waits for the event, and its `buffer:` says
 * whether a broadcast that reaches no run is kept.
 */
function declaredEvent(plan: ServePlan, name: string): EventDef | undefined {
  for (const entry of servedFlows(plan)) {
    const declared = entry.definition.events?.[name];
    if (declared) return declared;
  }
  return undefined;
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
  /**
   * The users of the runs API and the console (`users` of baton.config.json, tokens read): each with its roles in
   * its tenant, recorded as `by` on what it does (see {@link Access}). Empty or undefined: the single-token mode.
   */
  users?: User[];
  /**
   * The console's sessions: `secret` signs their cookies (default: 32 random bytes made now — a restart signs
   * everyone out), `maxAgeMs` how long one lasts (default 8 h), `secure` marks the cookie Secure (an https origin).
   */
  sessions?: { secret?: Buffer; maxAgeMs?: number; secure?: boolean };
  /** No signature and no token required (local development): every request is tenant `default`'s. */
  insecure: boolean;
  /** The largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /** The sub-flow depth bound of the runs started here (`limits.maxFlowDepth` of baton.config.json; default 64). */
  maxFlowDepth?: number;
  /** `false`: the runs started here record no rendered prompts (`runs.recordPrompts` of baton.config.json). */
  recordPrompts?: boolean;
  /** What the runs started here read in `estimate("Flow")`: `prices` and `agents` of baton.config.json. */
  estimateConfig?: EstimateConfig;
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
  /**
   * Where the tenants' webhook and event requests are counted against their `rateLimit` (default: in this process,
   * one sliding window per tenant). `baton serve --queue` passes a `SharedRateLimits`: counted in Redis, so the
   * front doors of a cluster admit `max` per window together.
   */
  rateLimits?: TenantRateLimits;
  /** The clock, also of the in-process rate limits (tests pass a fake one with `schedules: false`). */
  now?: () => Date;
  /**
   * `POST /runs/:id/migrate`: the definition in `file` (a `.flow` file of the served folder, relative to it, that
   * belongs to `tenant`), or its checker errors. Without it the route answers 404.
   * @throws BatonError `MIGRATION_FILE_INVALID` for a name that is not such a file.
   */
  migrationTarget?: (file: string, tenant: string) => Promise<{ definition: WorkflowDefinition; file: string } | { problems: MigrationProblem[] }>;
  /** Run schedules on a real timer (default true); tests drive `server.scheduler.due()` themselves. */
  schedules?: boolean;
  /** How many runs `GET /runs?q=` looks at per page (default the store's `RUN_TEXT_SCAN_LIMIT`; tests lower it). */
  textScanLimit?: number;
  /**
   * `GET /metrics` (Prometheus' text format; docs/observability.md): the counters of the runs this process executes
   * and its run queue's gauges. Without it the route answers 404.
   */
  metrics?: ServeMetrics;
  /**
   * `/metrics` answers without a token (`telemetry.metrics.public` in baton.config.json). Default: it takes any
   * tenant's API token, as the runs API does (401 without a valid one, 403 when no tenant has a token).
   */
  metricsPublic?: boolean;
  /** The notification channels this server sends to (`GET /notifications` names them; empty: none configured). */
  notifyChannels?: string[];
  /** How often waiting runs are checked for due timers (ms, default 1,000; 0: never). */
  timerPollMs?: number;
  /** Where the built console is (default: out/console beside the CLI bundle); see {@link ConsoleRoute}. */
  consoleDir?: string;
  /**
   * The executor thread's live relay (`baton serve`: see `createLiveRelay`): the events of the runs it executes reach
   * the console's streams through it. Without it they arrive through the store's watch (SQLite: within `pollMs`).
   */
  liveRelay?: LiveRelayLink;
  /**
   * Where a run's trace is shown (`telemetry.traceUrl` of baton.config.json): a URL template whose `{traceId}` is
   * replaced by the run's trace id (`runTraceIds`), e.g. `http://jaeger:16686/trace/{traceId}`; `GET /runs/:id` gives it.
   */
  traceUrl?: string;
  /** The console's streams (`GET /stream`): heartbeat (ms, default 15,000), the watch's poll (ms), the limits. */
  live?: { heartbeatMs?: number; pollMs?: number; maxStreams?: number; maxStreamsPerUser?: number };
  /**
   * The run page's graph layouts (layout-service.ts; default: a new one, whose thread lays out the served flows in the
   * background at start); `false`: none, the page lays graphs out itself. Closed with the server.
   */
  layouts?: GraphLayouts | false;
  /**
   * How long (ms) `GET /runs/:id/definition` waits for a layout not ready yet (default {@link DEFAULT_LAYOUT_BUDGET_MS});
   * past it, it goes without and the page lays the graph out itself.
   */
  layoutBudgetMs?: number;
  /**
   * When the background pass lays out the served flows (ms after the start; default 5,000, so a short-lived server —
   * a test's — starts no layout thread). `baton serve` gives 0: a page opened right after the start finds it under way.
   */
  layoutBackgroundDelayMs?: number;
  log: (line: string) => void;
}

/**
 * 3 s: the server's first layout of a 1,000-step flow (its thread started, elkjs loaded) takes about a second on a
 * quiet machine — less than the page takes for it, which would also compete with it for a shared machine's cores.
 */
export const DEFAULT_LAYOUT_BUDGET_MS = 3000;

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
 * - the runs API (`Authorization: Bearer <token>` or a session cookie unless insecure; each route with its role
 *   rule, see {@link Access}): `GET /runs[?status&flow&from&to&q&before&limit]` (keyset pages: runs-query.ts),
 *   `POST /runs {flow, inputs}` (start), `GET /runs/:id[?events=0]`, `GET /runs/:id/events?after&limit`, `POST /runs/:id/approve` and `/reject` (`{task, decision?, comment?}`; who decides is the
 *   authenticated caller — a user, `api-token:<tenant>`, `insecure` without authentication — stored with the decision, as
 *   with a cancellation, a redrive and a migration: never a header the caller chose, such as `X-Baton-User`), `POST /runs/:id/events/:name`, `POST /runs/:id/cancel`,
 *   `POST /runs/:id/redrive`; `GET /approvals`: the inbox (see {@link inbox}); `GET /locks`: the tenant's named locks held now, with holders and queues.
 * - `POST /mcp`: the runs API as MCP tools (streamable HTTP, stateless; Bearer tokens only, each tool with its role rule):
 *   see {@link mcpRoute}.
 * - `GET /stream`: the console's live updates, Server-Sent Events (see {@link streamRoute}, {@link LiveHub}); `GET /flows`:
 *   the served flows with their typed inputs (see {@link flowsOf}); `GET /stats`: the metrics page's figures (see {@link StatsRoute}).
 * - `/session`: the console's sign-in (a token → a signed session cookie), who is signed in, sign-out (see {@link sessionRoute}).
 * - `GET /` and `GET /console/<file>`: the operations console (see {@link ConsoleRoute}).
 * - with `board`: the queue board under `/board/`, showing the caller's tenant's queue (Bearer token, or Basic with
 *   the token as password; see {@link Tenants.boardCaller}).
 * - on start, every queued run, every interrupted run and one left `running` by a crash are queued again;
 *   waiting runs whose timer is due are resumed every `timerPollMs`; schedules fire (see {@link Scheduler}), one
 *   run per fire time across every server of the store (the fire time is the run's start key).
 *   Decisions, events and redrives are stored, the run `queued`, before their 202. The HTTP layer only routes:
 *   starting, continuing and stopping runs is the supervisor's.
 * - tenants ({@link ServeOptions.tenants}): the webhook secret that signed a request, or the API token it carries,
 *   says whose it is; every store query it makes is scoped to that tenant (`TenantScope`), and its webhook and event
 *   requests are rate limited per tenant (in this process, or cluster-wide: {@link ServeOptions.rateLimits}): beyond
 *   `rateLimit`, 429 `RATE_LIMITED` with `Retry-After` (seconds), nothing stored. Schedules start runs of their flow file's tenant ({@link ScheduleEntry.tenant}: `tenants.<id>.flows`, else `default`).
 * Every error is JSON with a stable code; nothing a request sends can crash the server.
 */
export async function startServer(plan: ServePlan, options: ServeOptions): Promise<BatonServer> {
  const store = options.store;
  const now = options.now ?? (() => new Date());
  const supervisor: RunSupervision = options.supervisor ?? new RunSupervisor({ store, agents: options.agents, runAgents: options.runAgents, now, concurrency: options.concurrency ?? DEFAULT_RUN_CONCURRENCY, log: options.log });
  options.metrics?.observeQueue(() => ({ active: supervisor.active(), queued: supervisor.waiting() }));
  const tenants = new Tenants(options.tenants ?? [{ id: DEFAULT_TENANT, webhookSecret: options.webhookSecret, apiToken: options.apiToken }], options.insecure, options.rateLimits);
  const sessionMaxAgeMs = options.sessions?.maxAgeMs ?? 8 * 3600_000;
  const sessions = new Sessions({ secret: options.sessions?.secret ?? randomBytes(32), maxAgeMs: sessionMaxAgeMs, secure: options.sessions?.secure ?? false });
  // the console's live updates (GET /stream)
  const stats = new StatsRoute(store);
  const live = new LiveHub({ store, relay: options.liveRelay, pollMs: options.live?.pollMs, maxStreams: options.live?.maxStreams, maxStreamsPerUser: options.live?.maxStreamsPerUser, log: options.log });
  const access = new Access({ tenants, users: options.users ?? [], sessions, insecure: options.insecure, actionWindowMs: sessionMaxAgeMs });
  const consoleRoute = new ConsoleRoute(options.consoleDir ?? defaultConsoleDir(), options.insecure);
  const layouts = options.layouts === false ? undefined : (options.layouts ?? new GraphLayouts({ log: options.log }));
  if (layouts) layOutServedFlows(layouts, servedFlows(plan), options.layoutBackgroundDelayMs);
  const definitionLayouts = layouts ? { layouts, budgetMs: options.layoutBudgetMs ?? DEFAULT_LAYOUT_BUDGET_MS } : undefined;

  /** Accepts a run of `served` for `tenant` with inputs its caller checked: resolves once it is stored (queued). */
  const start = async (served: ServedFlow, inputs: Record<string, JsonValue>, via: string, tenant: string, startKey?: { scope: string; key: string }): Promise<Accepted> => {
    const accepted = await supervisor.accept({ definition: served.definition, flowName: served.flow.name, inputs, file: served.file, startKey, ...(tenant !== DEFAULT_TENANT ? { tenant } : {}), ...(options.maxFlowDepth !== undefined ? { maxFlowDepth: options.maxFlowDepth } : {}), ...(options.recordPrompts === false ? { recordPrompts: false } : {}), ...(options.estimateConfig ? { estimateConfig: options.estimateConfig } : {}) });
    if (!accepted.duplicate) options.log(`run ${accepted.runId} · ${served.label} started by ${via}${tenant !== DEFAULT_TENANT ? ` for tenant ${tenant}` : ''}`);
    live.changed([accepted.runId]);
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
        return start(served, checked(served.flow, {}), `schedule ${entry.cron} (${at.toISOString()})`, entry.tenant ?? DEFAULT_TENANT, scheduleStartKey(entry, at)).then((accepted) => {
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
      await tenants.admit(tenant, now());
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
      await tenants.admit(tenant, now());
      const scope = { tenant };
      const data = raw.length === 0 ? null : parseJson(raw, req);
      const flows = plan.events.get(name) ?? [];
      const inputsFor = flows.map((served) => checked(served.flow, data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {}));
      const delivered: string[] = [];
      // only the runs whose wait the event correlates with (`where`); a payload that does not fit the event's type
      // is refused before anything is started or delivered (422 EVENT_DATA_INVALID, naming the field)
      const waiting = (await store.listRuns({ status: 'waiting', limit: 10_000, tenant })).filter((run) =>
        run.waitingOn.some((w) => w.kind === 'event' && w.event === name && matchesWhere(data as JsonValue, w.where)),
      );
      const declared = declaredEvent(plan, name);
      checkEventData(name, data as JsonValue, declared?.data);
      for (const run of waiting) {
        const wait = run.waitingOn.find((w) => w.kind === 'event' && w.event === name);
        checkEventData(name, data as JsonValue, wait?.kind === 'event' ? wait.data : undefined);
      }
      const started: string[] = [];
      for (const [i, served] of flows.entries()) started.push((await start(served, inputsFor[i], `event ${name}`, tenant)).runId);
      for (const run of waiting) {
        const refused = supervisor.refusal(run);
        if (refused) {
          options.log(`event ${name} not delivered: ${refused}`);
          continue;
        }
        await store.recordSignal(run.id, name, data as JsonValue, scope);
        delivered.push(run.id);
        await supervisor.resume(run.id, scope);
      }
      let kept: { id: string; expires: string } | undefined;
      if (waiting.length === 0 && declared?.buffer && !declared.buffer.transient && store.keepBroadcast) {
        // reached no run: kept for a later `wait event` (persistent trigger); a run that stopped at such a wait
        // while this was being kept continues now and takes it
        kept = await store.keepBroadcast(name, data as JsonValue, { ms: declared.buffer.ms, max: declared.buffer.max }, scope);
        for (const run of await store.listRuns({ status: 'waiting', limit: 10_000, tenant })) {
          if (run.waitingOn.some((w) => w.kind === 'event' && w.event === name && matchesWhere(data as JsonValue, w.where)) && !supervisor.refusal(run)) await supervisor.resume(run.id, scope);
        }
      }
      live.changed(delivered);
      send(res, 202, { event: name, started, delivered, ...(kept ? { kept: true, expires: kept.expires } : {}) });
      return;
    }
    // the API's query parameters: each once, no NUL (webhooks and events above read none)
    checkQuery(url.searchParams);
    // the console's sign-in sessions
    if (path === '/stream') {
      await streamRoute(req, res, method, url, { store, access, live, now, heartbeatMs: options.live?.heartbeatMs });
      return;
    }
    if (path === '/session') {
      await sessionRoute(req, res, method, access, now().getTime(), options.maxBodyBytes);
      return;
    }
    if (await serveDefinition(req, res, path, { store, access, now, layouts: definitionLayouts })) return;
    if (await notificationsRoute(routes, req, res, method, path, url)) return;
    // runs API
    if (path === '/runs' || path.startsWith('/runs/')) {
      await runsApi(routes, req, res, method, path, url, access.authenticate(req, now().getTime()));
      return;
    }
    // MCP (streamable HTTP, stateless): the runs API's flows, runs and approvals as an assistant's tools
    if (path === '/mcp') {
      await mcpRoute(routes, req, res, method, access.authenticate(req, now().getTime()));
      return;
    }
    // the inbox: the approvals waiting that the caller may decide, most urgent first
    if (path === '/approvals') {
      const caller = access.authenticate(req, now().getTime());
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/approvals takes GET');
      access.require(caller, 'read', 'read approvals');
      send(res, 200, { approvals: await inbox(store, caller) });
      return;
    }
    // the flows the caller can start (the console's start form) and the metrics page's figures
    if (path === '/flows' || path === '/stats') {
      const caller = access.authenticate(req, now().getTime());
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`);
      access.require(caller, 'read', path === '/flows' ? 'read flows' : 'read run statistics');
      if (path === '/flows') send(res, 200, { flows: flowsOf(plan, plan.root) });
      else send(res, 200, await stats.answer(url.searchParams, caller.tenant, now().getTime()));
      return;
    }
    // the caller's tenant's named locks, with their holders and queues (as `baton locks list --json`)
    if (path === '/locks') {
      const caller = access.authenticate(req, now().getTime());
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/locks takes GET');
      access.require(caller, 'read', 'read locks');
      send(res, 200, { locks: await store.listLocks({ tenant: caller.tenant }) });
      return;
    }
    if (path === '/metrics' && options.metrics) {
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/metrics takes GET');
      if (!options.metricsPublic) access.require(access.authenticate(req, now().getTime()), 'read', 'read metrics');
      const { contentType, text } = await options.metrics.exposition();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text);
      return;
    }
    if (path === '/health' && method === 'GET') {
      send(res, 200, { ok: true, active: supervisor.active(), queued: supervisor.waiting(), webhooks: [...plan.webhooks.keys()], schedules: plan.schedules.length, events: [...plan.events.keys()] });
      return;
    }
    if (consoleRoute.handles(path)) return consoleRoute.answer(req, res, method, path);
    throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  }

  const checked = (flow: FlowDef, raw: Record<string, unknown>): Record<string, JsonValue> => {
    try {
      return checkInputs(flow, raw);
    } catch (error) {
      throw error instanceof BatonError ? new HttpError(422, error.code, error.message) : error;
    }
  };
  /** What the routes in their own files (runs-route.ts, …) are given. */
  const routes: RouteContext = { plan, store, access, supervisor, options, now, start, checked, live };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  // runs accepted but not executed, and runs a crash or a shutdown left behind
  await supervisor.recover();
  // waiting runs whose timer or deadline is due are continued (the runtime's poller: the HTTP layer only routes)
  const timers = new DueTimerPoller({
    ...{ store, supervisor, now, intervalMs: options.timerPollMs ?? 1000, log: options.log },
    onSlaBreach: (b) => options.metrics?.add({ kind: 'sla.breached', flow: b.flow, sla: b.event.key === 'flow' ? 'flow' : 'approval' }),
  });
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
      await live.close();
      timers.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await layouts?.close();
      await supervisor.close();
    },
  };
}

export { firstMalformedUtf8 } from './http-io.js';
export { BOARD_CHALLENGE } from './tenant-auth.js';
