import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { RunAgents } from '@baton/protocol';
import type { AgentCaller, RunStoreApi, RunSupervision } from '@baton/runtime';
import type { ClusterRateLimiter } from './serve/rate-limit.js';

/**
 * What the CLI uses of the cluster package (`@baton/cluster`, packages/cluster): typed here, not imported, so that
 * nothing of it (nor node-postgres) is bundled into out/cli.mjs.
 */
/** The cluster's run queue (BullMQ on Redis; see packages/cluster/src/run-queue.ts). */
export interface ClusterRunQueue {
  readonly location: string;
  activate(tenant: string, runId: string, reason: string): Promise<void>;
  /** The activations of `tenant`'s runs in the queue: waiting (waiting, delayed, paused) and active. */
  depth(tenant: string): Promise<{ waiting: number; active: number }>;
  close(): Promise<void>;
}

/** A running `baton worker` (see packages/cluster/src/worker.ts). */
export interface ClusterWorkerHandle {
  readonly owner: string;
  close(): Promise<void>;
}

export interface ClusterModule {
  RunQueue: {
    /** @throws BatonError `QUEUE_UNREACHABLE` (bad URL, Redis down, password refused: one line, no password). */
    open(url: string, options?: { connectTimeoutMs?: number }): Promise<ClusterRunQueue>;
  };
  ClusterWorker: {
    /** @throws BatonError `TENANT_INVALID`, `USAGE`. */
    start(options: {
      store: RunStoreApi;
      queue: ClusterRunQueue;
      tenants?: string[];
      concurrency?: number;
      agents?: AgentCaller;
      runAgents?: RunAgents;
      leaseTtlMs?: number;
      reconcileEveryMs?: number;
      tenantLimits?: Record<string, { concurrency?: number; rateLimit?: { max: number; perMs: number } }>;
      log: (line: string) => void;
    }): Promise<ClusterWorkerHandle>;
  };
  RedisRateLimiter: {
    /**
     * The tenants' rate limits counted in Redis, across every front door (see packages/cluster/src/rate-limit.ts).
     * @throws BatonError `QUEUE_UNREACHABLE` (bad URL, Redis down, password refused: one line, no password).
     */
    open(url: string, options?: { connectTimeoutMs?: number }): Promise<ClusterRateLimiter & { close(): Promise<void> }>;
  };
  QueueFrontDoor: new (options: { store: RunStoreApi; queue: ClusterRunQueue; runAgents?: RunAgents; log: (line: string) => void }) => RunSupervision;
  PgRunStore: {
    /**
     * Connects to a `postgres://` store and applies its migrations; the password from the URL, else `PGPASSWORD`.
     * @throws BatonError `STORE_UNREACHABLE` (bad URL, server down, login refused: one line, no password), `STORE_TOO_NEW`.
     */
    open(url: string, options?: { connectTimeoutMs?: number }): Promise<RunStoreApi>;
  };
}

/** The package's name, in a variable: esbuild leaves an `import()` of it alone (no bundling into cli.mjs). */
const CLUSTER_PACKAGE = '@baton/cluster';

/**
 * Loads the cluster package, only when a command is given a `postgres://` store: out/cluster.mjs beside this bundle
 * (built by esbuild.mjs; not in the .vsix), or — running from the sources under tsx — `@baton/cluster`. `baton run`
 * on SQLite, the editor and the language server never load it.
 * @param bundled where the bundled package would be (default: `cluster.mjs` beside this module).
 */
export async function loadCluster(bundled = new URL('./cluster.mjs', import.meta.url)): Promise<ClusterModule> {
  if (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled))) return (await import(bundled.href)) as ClusterModule;
  return (await import(CLUSTER_PACKAGE)) as ClusterModule;
}

/** The queue board's package (packages/cluster/src/board.ts): Bull Board for the cluster's tenant queues. */
export interface BoardModule {
  /**
   * The board as a `node:http` request listener for the paths under `basePath`.
   * @throws BatonError `TENANT_INVALID`, `USAGE`, `BOARD_UI_MISSING` (the UI's files are not beside the bundle).
   */
  createQueueBoard(options: { queue: ClusterRunQueue; tenants: readonly string[]; basePath: string }): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The board package's name, in a variable (see {@link CLUSTER_PACKAGE}). */
const BOARD_PACKAGE = '@baton/cluster/board';

/**
 * Loads the queue board, only for `baton serve --board`: out/board.mjs beside this bundle (built by esbuild.mjs with
 * out/cluster.mjs, sharing its BullMQ), or — from the sources under tsx — `@baton/cluster/board`. No other command
 * loads it.
 * @param bundled where the bundled board would be (default: `board.mjs` beside this module).
 */
export async function loadBoard(bundled = new URL('./board.mjs', import.meta.url)): Promise<BoardModule> {
  if (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled))) return (await import(bundled.href)) as BoardModule;
  return (await import(BOARD_PACKAGE)) as BoardModule;
}
