import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError, UsageError } from '../errors.js';
import { displayPath, type Output } from '../output/terminal.js';
import { compileFolder, openStore, storeWaitMs, toCliError } from '../backend.js';
import { isStoreUrl, resolveStorePath } from '../store-path.js';
import { agentsFor, type AgentsMode } from '../agents-mode.js';
import { compileMigrationTarget } from './migrate.js';
import { ServeMetrics } from '../serve/metrics.js';
import { BOARD_PATH, startServer, type BatonServer, type BoardListener, type ServedFlow, type ServePlan } from '../serve/server.js';
import { BatonError, DEFAULT_TENANT, emptyConfig, ExecutorThread, findConfig, loadConfig, sourcesOf, tenantOfFile, tenantsOf, type LiveRelayLink, type RunSupervision, type Tenant } from '@baton/runtime';
import type { ExecutorData } from '../serve/executor.js';
import { SharedRateLimits, type TenantRateLimits } from '../serve/rate-limit.js';
import { loadBoard, loadCluster, type ClusterRunQueue } from '../cluster.js';
import { openQueue, queueUrlOf } from './worker.js';
import { runLimits } from '../run-limits.js';
import { serveAccess } from './serve-access.js';
import { parseDuration } from '../durations.js';

export { parseDuration };
import { prepareOutbox, serveNotifications, startNotifier, type Notifier } from './serve-notify.js';
import { untilStopSignal } from '../stop-signal.js';

/** Options of `baton serve`. */
export interface ServeCommandOptions {
  host: string;
  port: string;
  store?: string;
  insecure?: boolean;
  maxBody: string;
  /** The most runs executing at once (a whole number ≥ 1). */
  concurrency: string;
  /** Runs executing before the server is ready, to warm its executor up (a whole number ≥ 0; see `warmUpExecutor`). */
  warmUp: string;
  /** The longest a request may take to arrive: `30s`, `500ms`, or milliseconds. */
  requestTimeout: string;
  timezone?: string;
  agents: AgentsMode;
  /** `redis://…`: a front door — runs are stored and enqueued for `baton worker`s, not executed here. */
  queue?: string;
  /** Mount the queue board (Bull Board) for the queue's tenant queues under `/board/`; needs `queue`. */
  board?: boolean;
}

/**
 * `baton serve [folder]`: checks every `.flow` file of the folder (errors: exit 2), then serves their
 * triggers over HTTP until SIGTERM or Ctrl-C (see serve/server.ts for the routes). Secrets come from the
 * environment: `BATON_WEBHOOK_SECRET` and `BATON_API_TOKEN` (the runs API) are tenant `default`'s; the tenants of the
 * `baton.config.json` nearest the folder (`tenants.<id>`) name the variables holding theirs (see {@link serveTenants}).
 * @returns 0 after a graceful stop (running runs are stored as interrupted and resumed by the next start).
 */
export async function serveCommand(folder: string | undefined, opts: ServeCommandOptions, output: Output): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${opts.port}: expected a port number from 0 to 65535`);
  const maxBody = parseSize(opts.maxBody);
  if (maxBody === undefined) throw new UsageError(`--max-body ${opts.maxBody}: expected a size such as 1mb, 256kb or 65536`);
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) throw new UsageError(`--concurrency ${opts.concurrency}: expected a whole number of runs from 1 to 10000`);
  const warmUpRuns = Number(opts.warmUp);
  if (!Number.isInteger(warmUpRuns) || warmUpRuns < 0 || warmUpRuns > 10_000) throw new UsageError(`--warm-up ${opts.warmUp}: expected a whole number of runs from 0 to 10000`);
  const requestTimeout = parseDuration(opts.requestTimeout);
  if (requestTimeout === undefined) throw new UsageError(`--request-timeout ${opts.requestTimeout}: expected a duration from 100ms to 1h, such as 30s, 500ms or 30000`);
  if (opts.timezone !== undefined && !validTimeZone(opts.timezone)) throw new UsageError(`--timezone ${opts.timezone}: not an IANA time zone (e.g. Europe/Paris, UTC)`);
  const queueUrl = queueUrlOf(opts.queue, false);
  if (opts.board && !queueUrl) throw new UsageError('--board shows the queues of a cluster: give --queue redis://host:6379 (or set BATON_QUEUE) too');
  const tenants = serveTenants(folder ?? '.', process.env, opts.insecure ?? false);
  const access = serveAccess(folder ?? '.', process.env, tenants);
  const notifications = serveNotifications(folder ?? '.', process.env);
  const plan = await planFor(folder ?? '.', opts.timezone, output, tenants);
  if (opts.board) {
    const taken = [...plan.webhooks.keys()].find((p) => p === BOARD_PATH || p.startsWith(`${BOARD_PATH}/`));
    if (taken) throw new UsageError(`--board serves ${BOARD_PATH}/, but webhook ${taken} (${plan.webhooks.get(taken)!.label}) is there: move the webhook or leave out --board`);
  }
  const storePath = resolveStorePath(opts.store);
  // The HTTP thread's connection never keeps the lock across commits, and the executor thread's lets go after
  // its current commit whenever this one waits (see RunStoreOptions.lockWaiters).
  const lockWaiters = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const store = await openStore(storePath, { holdLock: false, lockWaiters });
  const log = (line: string): void => output.err(`${new Date().toISOString().slice(11, 19)} ${line}`);
  let supervisor: RunSupervision | undefined;
  // GET /metrics: counted from the samples the executor thread posts (docs/observability.md)
  const metrics = new ServeMetrics();
  // the console's live updates: the executor thread relays its runs' events while a stream is open (live-hub.ts)
  const liveRelay: LiveRelayLink = { channel: `baton.live.${randomUUID()}`, flag: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) };
  let queue: ClusterRunQueue | undefined;
  let sharedLimits: { close(): Promise<void> } | undefined;
  let notifier: Notifier | undefined;
  try {
    await prepareOutbox(notifications, store);
    // real agents: every served flow's agents are resolved now (a missing key stops the server from starting)
    const served = [...plan.webhooks.values(), ...plan.schedules.map((s) => s.served), ...[...plan.events.values()].flat()];
    const checks = served.map((entry) => ({ definition: entry.definition, flow: entry.flow.name, sources: sourcesOf(entry.definition) }));
    const configProbe = path.join(path.resolve(folder ?? '.'), CONFIG_PROBE);
    const { runAgents } = agentsFor(opts.agents, configProbe, checks);
    // Runs execute on a worker thread (its entry: out/serve-executor.mjs, beside this bundle), so that answering a
    // request never waits behind them; its agents are built there the same way (command agents' helpers included).
    let board: ((tenant: string | undefined) => BoardListener) | undefined;
    let rateLimits: TenantRateLimits | undefined;
    if (queueUrl) {
      // a front door: runs are stored and enqueued; `baton worker`s execute them
      const cluster = await loadCluster();
      queue = await openQueue(cluster, queueUrl);
      supervisor = new cluster.QueueFrontDoor({ store, queue, runAgents, log });
      const opened = queue;
      metrics.observeClusterQueue(tenants.map((t) => t.id), (tenant) => opened.depth(tenant));
      // the tenants' rate limits are the cluster's, counted in Redis: every front door together admits max per window
      if (tenants.some((t) => t.rateLimit)) {
        const limiter = await cluster.RedisRateLimiter.open(queueUrl).catch((error: unknown) => {
          throw error instanceof BatonError ? new UsageError(`--queue: ${error.message}`) : error;
        });
        sharedLimits = limiter;
        rateLimits = new SharedRateLimits(limiter, log);
      }
      if (opts.board) board = await openBoards(queue, tenants.map((t) => t.id));
    } else {
      const batonExecutor: ExecutorData = { storePath: isStoreUrl(storePath) ? storePath : store.location, busyTimeoutMs: storeWaitMs(), lockWaiters, agents: opts.agents, configProbe, checks, concurrency, warmUpRuns, metricsChannel: metrics.channel, live: liveRelay };
      try {
        supervisor = await ExecutorThread.start({ store, script: new URL('./serve-executor.mjs', import.meta.url), workerData: { batonExecutor }, definitions: checks.map((c) => c.definition), runAgents, log });
      } catch (error) {
        if (error instanceof BatonError) throw new CliError(`the run executor could not start: ${error.message}`, 2);
        throw error;
      }
    }
    const migrationTarget = servedMigrationTarget(folder ?? '.', tenants);
    const metricsPublic = publicMetrics(configProbe);
    const traceUrl = traceUrlOf(configProbe);
    const server = await startServer(plan, { notifyChannels: notifications?.channels.map((c) => c.name) ?? [], metrics, metricsPublic, store, host: opts.host, port, tenants, insecure: opts.insecure ?? false, maxBodyBytes: maxBody, ...runLimits(configProbe), requestTimeoutMs: requestTimeout, concurrency, runAgents, supervisor, board, rateLimits, log, migrationTarget, layoutBackgroundDelayMs: 0, ...(queue ? {} : { liveRelay }), ...(traceUrl ? { traceUrl } : {}), users: access.users, sessions: access.sessions });
    // notifications are sent from the store's outbox on this thread, never on the one that executes runs
    notifier = await startNotifier(notifications, { store, serverUrl: server.url, users: access.users, metrics, log }).catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
    const executes = queue ? `front door: runs go to queue ${queue.location} for baton worker` : `${opts.agents} agents · ${concurrency} at once`;
    output.out(`baton serve · ${server.url} · store ${displayPath(store.location)} · ${executes}${opts.insecure ? ' · INSECURE (no signatures, no API token)' : ''}`);
    if (access.users.length > 0) output.out(`  users: ${access.users.map((u) => `${u.name} (${u.roles.join(', ')}${u.tenants ? ` · ${u.tenants.join(', ')}` : u.tenant !== DEFAULT_TENANT ? ` · ${u.tenant}` : ''})`).join(', ')} · sessions signed with ${access.secretSource === 'random' ? 'a random per-process secret (a restart signs everyone out)' : access.secretSource}`);
    for (const [hookPath, served] of plan.webhooks) output.out(`  POST ${hookPath}  → ${served.label}`);
    for (const [name, flows] of plan.events) output.out(`  POST /events/${name}  → ${flows.map((f) => f.label).join(', ')}`);
    for (const s of plan.schedules) {
      output.out(`  schedule "${s.cron}"${s.timezone ? ` (${s.timezone})` : ''}  → ${s.label}${s.tenant && s.tenant !== DEFAULT_TENANT ? ` for tenant ${s.tenant}` : ''}, next ${server.scheduler.nextFire(s)?.toISOString() ?? 'never'}`);
    }
    output.out(`  runs API: ${tenants.some((t) => t.apiToken) || access.users.length > 0 || opts.insecure ? '/runs · MCP: POST /mcp (docs/mcp.md)' : 'off (set BATON_API_TOKEN)'}`);
    if (tenants.length > 1) {
      output.out(`  tenants: ${tenants.map((t) => `${t.id}${t.rateLimit ? ` (${t.rateLimit.max} per ${t.rateLimit.perMs} ms${rateLimits ? ' across the cluster' : ''})` : ''}`).join(', ')}`);
    }
    if (notifier) output.out(`  ${notifier.banner}`);
    output.out(`  metrics: /metrics (Prometheus; ${metricsPublic ? 'public: telemetry.metrics.public' : opts.insecure ? 'no token: --insecure' : 'API token'})`);
    if (board) output.out(`  queue board: ${boardLine(server, tenants.some((t) => t.apiToken), opts.insecure ?? false)}`);
    await untilStopSignal();
    log(queue ? 'stopping: no new requests; the runs are the workers\' (nothing executes here)' : 'stopping: no new requests; running runs are stored as interrupted, queued ones stay queued; both resume at the next start');
    await notifier?.stop();
    await server.close();
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`${opts.host}:${port} is in use: choose another --port`);
    throw toCliError(error);
  } finally {
    await notifier?.stop();
    // a server that never started leaves its executor to stop here (server.close() stops it otherwise)
    await supervisor?.close();
    metrics.close();
    await sharedLimits?.close();
    await queue?.close();
    await store.close();
  }
}

/**
 * Loads the queue board (out/board.mjs, only now) and makes one board per tenant (its queue `baton-runs-<id>` only:
 * a tenant's token never shows another's jobs) and one of every tenant's queues (for `--insecure`).
 * @returns the board of a caller's tenant (undefined: every tenant's).
 * @throws CliError (exit 2) when its package or page cannot be loaded, or a tenant id is not a queue's.
 */
async function openBoards(queue: ClusterRunQueue, tenantIds: readonly string[]): Promise<(tenant: string | undefined) => BoardListener> {
  try {
    const { createQueueBoard } = await loadBoard();
    const all = createQueueBoard({ queue, tenants: tenantIds, basePath: BOARD_PATH });
    const own = new Map(tenantIds.map((id) => [id, createQueueBoard({ queue, tenants: [id], basePath: BOARD_PATH })]));
    return (tenant) => (tenant === undefined ? all : own.get(tenant)!);
  } catch (error) {
    throw new CliError(`--board: the queue board cannot start: ${(error as Error).message}`, 2);
  }
}

/** The board's line in the start-up banner: where it is, and what it takes (never a token). */
function boardLine(server: BatonServer, token: boolean, insecure: boolean): string {
  const where = `${server.url}${BOARD_PATH}/`;
  if (insecure) return `${where} (no token: --insecure; every tenant's queue)`;
  return token ? `${where} (an API token: Bearer, or as the password the browser asks for; its tenant's queue)` : 'off (set BATON_API_TOKEN)';
}

/**
 * `POST /runs/:id/migrate`'s files: `name`, relative to the served folder, must be a `.flow` file inside it that
 * no other tenant's `flows` (`tenants.<id>.flows`) claims — such a file reads as missing; compiled fresh
 * (the file may have changed since the server started — that is the point).
 * @throws BatonError `MIGRATION_FILE_INVALID` naming `name`.
 */
export function servedMigrationTarget(folder: string, tenants: readonly Pick<Tenant, 'id' | 'flows'>[]) {
  const root = path.resolve(folder);
  const base = statSync(root).isDirectory() ? root : path.dirname(root);
  return async (name: string, tenant: string) => {
    const full = path.resolve(base, name);
    const inside = full.startsWith(base + path.sep) && full.endsWith('.flow') && existsSync(full) && statSync(full).isFile();
    const owner = inside ? tenantOfFile(tenants, full) : undefined;
    if (!inside || (owner !== tenant && owner !== DEFAULT_TENANT)) throw new BatonError('MIGRATION_FILE_INVALID', `"${name}" is not a .flow file of the served folder`);
    const compiled = await compileMigrationTarget(full);
    return 'problems' in compiled ? compiled : { definition: compiled.definition, file: full };
  };
}

/** `file` relative to the served `folder` (or, when a file is served, its own name), `/`-separated: the same on every machine. */
function sourceName(folder: string, file: string): string {
  const base = statSync(folder).isDirectory() ? folder : path.dirname(folder);
  return path.relative(path.resolve(base), file).split(path.sep).join('/');
}

/**
 * The tenants `baton serve` answers for (see `tenantsOf`): from the `baton.config.json` nearest `folder`, their
 * secrets from `env`. Tenant `default`'s variables (BATON_WEBHOOK_SECRET, BATON_API_TOKEN unless configured) may be
 * unset; a variable a configured tenant names must be set.
 * @throws UsageError (exit 2) for an invalid configuration, a variable named and unset, two tenants with the same
 *   secret or token (a request could not say whose it is), or no webhook secret at all unless `insecure`.
 */
export function serveTenants(folder: string, env: NodeJS.ProcessEnv, insecure: boolean): Tenant[] {
  let tenants: Tenant[];
  let configFile: string | undefined;
  try {
    configFile = findConfig(path.resolve(folder));
    const config = configFile ? loadConfig(configFile) : emptyConfig();
    tenants = tenantsOf(config, env);
    for (const t of tenants) {
      const configured = config.tenants[t.id];
      for (const [field, variable, value] of [['webhookSecretEnv', t.webhookSecretEnv, t.webhookSecret], ['apiTokenEnv', t.apiTokenEnv, t.apiToken]] as const) {
        if (configured?.[field] !== undefined && !value) throw new UsageError(`${displayPath(configFile!)}: tenants.${t.id}.${field} names ${variable}, which is not set`);
      }
    }
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
  for (const [what, valueOf] of [['webhook secret', (t: Tenant) => t.webhookSecret], ['API token', (t: Tenant) => t.apiToken]] as const) {
    const owners = new Map<string, string>();
    for (const t of tenants) {
      const value = valueOf(t);
      if (!value) continue;
      const other = owners.get(value);
      if (other) throw new UsageError(`tenants ${other} and ${t.id} have the same ${what}: give each tenant its own`);
      owners.set(value, t.id);
    }
  }
  if (!insecure && !tenants.some((t) => t.webhookSecret)) {
    throw new UsageError('set BATON_WEBHOOK_SECRET (webhooks and events must be signed with it), or pass --insecure for local use');
  }
  return tenants;
}

/** A file name inside the served folder, for finding the `baton.config.json` nearest it. */
const CONFIG_PROBE = 'served.flow';

/** Whether `telemetry.metrics.public` is set in the `baton.config.json` nearest `probe` (already validated by then). */
function publicMetrics(probe: string): boolean {
  const file = findConfig(path.dirname(probe));
  return file ? loadConfig(file).telemetry?.metrics?.public === true : false;
}

/** `telemetry.traceUrl` of the `baton.config.json` nearest `probe` (already validated by then), if set. */
function traceUrlOf(probe: string): string | undefined {
  const file = findConfig(path.dirname(probe));
  return file ? loadConfig(file).telemetry?.traceUrl : undefined;
}

/**
 * The triggers of every flow declared in the folder's files (each compiled with what it imports). A schedule's runs
 * are the tenant's whose `flows` names its file (see `tenantOfFile`; default `default`).
 */
export async function planFor(folder: string, timezone: string | undefined, output: Output, tenants: readonly Pick<Tenant, 'id' | 'flows'>[] = []): Promise<ServePlan> {
  const root = path.resolve(folder);
  const plan: ServePlan = { webhooks: new Map(), schedules: [], events: new Map(), root: statSync(root).isDirectory() ? root : path.dirname(root) };
  for (const { file, definition } of await compileFolder(folder, output)) {
    for (const flow of Object.values(definition.flows)) {
      if (flow.range.file !== file) continue;
      const served: ServedFlow = { definition, flow, file, label: `${displayPath(file)} · ${flow.name}` };
      for (const trigger of flow.triggers) {
        if (trigger.kind === 'webhook') {
          const taken = plan.webhooks.get(trigger.path);
          if (taken) throw new UsageError(`webhook ${trigger.path} is declared twice: by ${taken.label} and ${served.label}`);
          plan.webhooks.set(trigger.path, served);
        } else if (trigger.kind === 'schedule') {
          const tenant = tenantOfFile(tenants, file);
          plan.schedules.push({ label: served.label, cron: trigger.cron, timezone, served, id: `${sourceName(folder, file)}#${flow.name}@${trigger.cron}${timezone ? ` ${timezone}` : ''}`, ...(tenant !== DEFAULT_TENANT ? { tenant } : {}) });
        } else {
          plan.events.set(trigger.event, [...(plan.events.get(trigger.event) ?? []), served]);
        }
      }
    }
  }
  return plan;
}

/** `1mb`, `256kb`, `65536` → bytes. */
function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * ({ b: 1, kb: 1024, mb: 1024 * 1024 } as Record<string, number>)[(m[2] ?? 'b').toLowerCase()];
  return n > 0 ? n : undefined;
}


function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
