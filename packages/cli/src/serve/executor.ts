import { isMainThread, workerData } from 'node:worker_threads';
import type { WorkflowDefinition } from '@baton/protocol';
import { createFlowAuthoring } from '@baton/language';
import { attachSources, installFlowAuthoring, composeRunTelemetry, createLiveRelay, createRunMetricsObserver, installRunTelemetry, loadRunTelemetry, SqliteRunStore, warmUpExecutor, type WarmUpReport, serveExecutorThread, startProcessSpawners, type LiveRelayLink, type RunStoreApi, type RunTelemetry, type SourceFile } from '@baton/runtime';
import { commandTelemetrySettings } from '../telemetry.js';
import { loadCluster } from '../cluster.js';
import { isStoreUrl } from '../store-path.js';
import { agentsFor, type AgentsMode } from '../agents-mode.js';
import { useMcpServers } from '../mcp-servers.js';

/**
 * What `baton serve` gives its executor thread (`workerData.batonExecutor`): enough to open its own connection
 * to the store and build the same agents as the main thread.
 */
export interface ExecutorData {
  /** The store file (absolute), or a PostgreSQL store's `postgres://` URL (as given: a password in it included). */
  storePath: string;
  busyTimeoutMs?: number;
  /** The cell shared with the main thread's store (`RunStoreOptions.lockWaiters`). */
  lockWaiters: Int32Array;
  agents: AgentsMode;
  /** A file in the served folder: the `baton.config.json` nearest it is the real agents' config. */
  configProbe: string;
  /**
   * The served flows, whose agents are resolved before the executor is ready, with the `.flow` texts of their
   * definitions (`sources`: stored with each run of them — the definitions are copied into this thread, so the texts
   * are attached again here).
   */
  checks: { definition: WorkflowDefinition; flow: string; sources?: readonly SourceFile[] }[];
  concurrency: number;
  /** How many runs warm the executor up before it is ready (0: none; see `warmUpExecutor`). */
  warmUpRuns: number;
  /** The server's metrics channel: the runs executed here post their samples on it (see `createRunMetricsObserver`). */
  metricsChannel?: string;
  /**
   * The server's live hub (the console's `GET /stream`): the runs executed here post their stored events to it while
   * a stream is open (see `createLiveRelay`).
   */
  live?: LiveRelayLink;
}

/** Whether this thread is `baton serve`'s executor thread (the CLI bundle is its entry). */
export function isExecutorThread(): boolean {
  return !isMainThread && (workerData as { batonExecutor?: unknown } | null)?.batonExecutor !== undefined;
}

/**
 * The executor thread's entry: opens the store, builds the agents (command agents' helper processes started
 * now, not during a burst of runs) and executes what the main thread accepts (see `ExecutorThread`).
 */
export function runExecutorThread(): Promise<void> {
  const data = (workerData as { batonExecutor: ExecutorData }).batonExecutor;
  return serveExecutorThread(async () => {
    for (const check of data.checks) if (check.sources) attachSources(check.definition, check.sources);
    // the first burst of starts must not meet cold code (docs/serve.md): warmed up on a private store, before any
    // telemetry is installed (nothing of it is counted, traced or streamed)
    let warm: WarmUpReport | undefined;
    if (data.warmUpRuns > 0) warm = await warmUpExecutor({ runs: data.warmUpRuns, concurrency: data.concurrency }).catch(() => undefined);
    const { agents, runAgents } = agentsFor(data.agents, data.configProbe, data.checks);
    // the served folder's MCP servers, for agents' MCP tools: connected at their first use; a stdio server's process
    // ends with this one (its stdin closes)
    useMcpServers(data.configProbe);
    if (data.agents === 'real') startProcessSpawners();
    // what this thread executes is counted for /metrics, and traced when an OTLP endpoint is configured
    const parts: RunTelemetry[] = data.metricsChannel ? [createRunMetricsObserver(data.metricsChannel)] : [];
    // and relayed to the console's open streams (one Atomics.load per event while none is open)
    if (data.live) parts.push(createLiveRelay(data.live));
    const traces = await commandTelemetrySettings(data.configProbe);
    if (traces) parts.push(await loadRunTelemetry(traces));
    if (parts.length > 0) installRunTelemetry(composeRunTelemetry(parts));
    // flows written by agents are checked in this thread too (docs/agents.md)
    installFlowAuthoring(createFlowAuthoring());
    // a PostgreSQL store: the cluster package (out/cluster.mjs, beside this thread's bundle too), loaded only then
    const store: RunStoreApi = isStoreUrl(data.storePath)
      ? await (await loadCluster()).PgRunStore.open(data.storePath)
      : SqliteRunStore.open(data.storePath, { busyTimeoutMs: data.busyTimeoutMs, lockWaiters: data.lockWaiters });
    if (warm && store instanceof SqliteRunStore) store.database.statements.prepareAll(warm.statements);
    return { store, agents, runAgents, concurrency: data.concurrency, definitions: data.checks.map((c) => c.definition) };
  });
}
