import path from 'node:path';
import { BatonError, emptyConfig, findConfig, loadConfig, tenantsOf, usersOf, type BatonConfig } from '@baton/runtime';
import { loadCluster, type ClusterModule, type ClusterRunQueue, type ClusterWorkerHandle } from '../cluster.js';
import { CliError, UsageError } from '../errors.js';
import { displayPath, type Output } from '../output/terminal.js';
import { openStore, toCliError } from '../backend.js';
import { resolveStorePath } from '../store-path.js';
import { agentsFor, type AgentsMode } from '../agents-mode.js';
import { parseDuration } from '../durations.js';
import { prepareOutbox, serveNotifications, startNotifier, type Notifier } from './serve-notify.js';
import { untilStopSignal } from '../stop-signal.js';
import { useMcpServers } from '../mcp-servers.js';

/** Options of `baton worker`. */
export interface WorkerCommandOptions {
  store?: string;
  queue?: string;
  concurrency: string;
  tenants?: string;
  agents: AgentsMode;
  /** A run's lease: `30s`, `5000ms`… */
  lease: string;
  /** How often the reconciler looks for runnable runs. */
  reconcileEvery: string;
  /** `--no-notifications` (false): send none of the store's notifications from this worker. Default true. */
  notifications?: boolean;
}

/**
 * The queue URL of a command: `--queue`, else `BATON_QUEUE`.
 * @throws UsageError when neither is given and `required`.
 */
export function queueUrlOf(flag: string | undefined, required: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = flag ?? (env.BATON_QUEUE || undefined);
  if (!url && required) throw new UsageError('--queue redis://host:6379 is required (or set BATON_QUEUE): the queue the runs are taken from');
  return url;
}

/**
 * Connects to the cluster's queue.
 * @throws UsageError (exit 2) naming the queue and what failed.
 */
export async function openQueue(cluster: ClusterModule, url: string): Promise<ClusterRunQueue> {
  try {
    return await cluster.RunQueue.open(url);
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(`--queue: ${error.message}`);
    throw error;
  }
}

/**
 * `baton worker --store <url> --queue redis://… [--concurrency N] [--tenants a,b] [--agents real]`: executes the runs
 * of a cluster until SIGTERM or Ctrl-C (see packages/cluster/src/worker.ts). The store's password comes from
 * PGPASSWORD, Redis's from the URL or REDISCLI_AUTH.
 * @returns 0 after a graceful stop (runs executing are stored interrupted and handed to another worker).
 */
export async function workerCommand(opts: WorkerCommandOptions, output: Output): Promise<number> {
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) throw new UsageError(`--concurrency ${opts.concurrency}: expected a whole number of runs from 1 to 10000`);
  const lease = parseDuration(opts.lease);
  if (lease === undefined || lease < 1000) throw new UsageError(`--lease ${opts.lease}: expected a duration from 1s to 1h, such as 30s`);
  const reconcileEvery = parseDuration(opts.reconcileEvery);
  if (reconcileEvery === undefined) throw new UsageError(`--reconcile-every ${opts.reconcileEvery}: expected a duration from 100ms to 1h, such as 5s`);
  const tenants = opts.tenants?.split(',').map((t) => t.trim()).filter(Boolean);
  if (opts.tenants !== undefined && !tenants?.length) throw new UsageError('--tenants: name at least one tenant, e.g. --tenants acme,globex');
  const queueUrl = queueUrlOf(opts.queue, true)!;
  // tenants.<id> of the nearest baton.config.json: which queues to serve by default, and their limits
  const configFile = findConfig(process.cwd());
  let config: BatonConfig = emptyConfig();
  try {
    config = configFile ? loadConfig(configFile) : emptyConfig();
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message);
    throw error;
  }
  const configured: NonNullable<BatonConfig['tenants']> = config.tenants ?? {};
  const known = tenantsOf({ tenants: configured }).map((t) => t.id);
  const unknown = (tenants ?? []).filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(`--tenants: no tenant ${unknown.map((id) => `"${id}"`).join(', ')} in ${configFile ? displayPath(configFile) : 'baton.config.json (none found)'}; its tenants: ${known.join(', ')}`);
  }
  const served = tenants ?? known;
  const tenantLimits = Object.fromEntries(Object.entries(configured).map(([id, t]) => [id, { concurrency: t.concurrency, rateLimit: t.rateLimit }]));
  // real agents: the baton.config.json nearest the current folder configures them
  const { agents, runAgents } = agentsFor(opts.agents, path.join(process.cwd(), 'worker.flow'));
  // the same baton.config.json's notifications: a worker sends the outbox's deliveries too (docs/cluster.md)
  const notifications = opts.notifications === false ? undefined : serveNotifications(process.cwd(), process.env);
  // the same baton.config.json's MCP servers, for agents' mcp.<server>.<tool> tools (started at their first use)
  const closeMcp = useMcpServers(path.join(process.cwd(), 'worker.flow'));
  const cluster = await loadCluster();
  const store = await openStore(resolveStorePath(opts.store));
  let queue: ClusterRunQueue | undefined;
  let worker: ClusterWorkerHandle | undefined;
  let notifier: Notifier | undefined;
  const log = (line: string): void => output.err(`${new Date().toISOString().slice(11, 19)} ${line}`);
  try {
    queue = await openQueue(cluster, queueUrl);
    try {
      worker = await cluster.ClusterWorker.start({ store, queue, tenants: served, tenantLimits, concurrency, agents, runAgents, leaseTtlMs: lease, reconcileEveryMs: reconcileEvery, log });
    } catch (error) {
      if (error instanceof BatonError) throw new UsageError(error.message);
      throw error;
    }
    // links in notifications point to the console, which a worker is not: without consoleUrl it leaves them to baton serve
    const sends = notifications?.consoleUrl ? notifications : undefined;
    if (sends) {
      await prepareOutbox(sends, store);
      notifier = await startNotifier(sends, { store, serverUrl: sends.consoleUrl!, users: usersOf(config, process.env), log });
    }
    output.out(`baton worker ${worker.owner} · queue ${queue.location} · store ${displayPath(store.location)} · tenants ${served.join(', ')} · ${opts.agents} agents · ${concurrency} at once · lease ${lease / 1000}s`);
    if (notifier) output.out(`  ${notifier.banner}`);
    else if (notifications) output.out('  notifications: not sent by this worker (notifications.consoleUrl is unset: their links need the console\'s address); baton serve sends them');
    await untilStopSignal();
    log('stopping: no new jobs; runs executing here are stored as interrupted and handed to another worker');
    return 0;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw toCliError(error);
  } finally {
    await notifier?.stop();
    await worker?.close();
    await queue?.close();
    await closeMcp();
    await store.close();
  }
}
