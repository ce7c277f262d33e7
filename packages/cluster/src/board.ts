/**
 * The queue UI of a cluster (issue 11): Bull Board (`@bull-board/api`, its `@bull-board/ui` page and the Hono adapter
 * `@bull-board/hono`) showing the tenants' run queues, as one `node:http` request listener that `baton serve --board`
 * mounts under `/board/` behind its API token (the token check is the server's, see packages/cli/src/serve/server.ts).
 *
 * Why Hono: `baton serve` is plain `node:http`; Hono's official Node adapter (`@hono/node-server`'s
 * `getRequestListener`) turns the board into a `(req, res)` listener, and the adapter with Hono adds ~60 KB to this
 * bundle where the Express adapter (Express 5 and its dependencies) adds ~830 KB.
 *
 * Its own bundle (out/board.mjs, sharing BullMQ with out/cluster.mjs through a common chunk, so the queues the front
 * door opened are BullMQ `Queue`s to it), loaded only for `--board`: the editor, `baton run` and `baton worker` load none
 * of it. The page's static files (the UI package's `dist/`) are copied beside the bundle (out/bull-board-ui/) by
 * esbuild.mjs; from the sources they are found in node_modules.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { BatonError } from '@baton/runtime';
import type { RunQueue } from './run-queue.js';

/** The folder beside the bundle that esbuild.mjs copies the UI package's `dist/` into (as `bull-board-ui/dist/`). */
export const BOARD_UI_FOLDER = 'bull-board-ui';

/** Answers one HTTP request for the board (a path under its base path); resolves once the answer is written. */
export type QueueBoardListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Options of {@link createQueueBoard}. */
export interface QueueBoardOptions {
  /** The cluster's run queue (its Redis connection and tenant queues are the board's). */
  queue: RunQueue;
  /** The tenants whose queues (`baton-runs-<tenant>`) are shown, in this order; at least one. */
  tenants: readonly string[];
  /** Where the board is mounted, without a trailing slash: `/board`. */
  basePath: string;
  /** The folder holding the UI's `dist/index.ejs` and `dist/static/` (default: found by {@link boardUiPath}). */
  uiPath?: string;
}

/**
 * The board as a `node:http` request listener for the paths under `basePath` (the page at `<basePath>/`, its
 * static files at `<basePath>/static/…`, its JSON API at `<basePath>/api/…`).
 * @throws BatonError `TENANT_INVALID` (a tenant id a queue name cannot hold), `USAGE` (no tenant),
 *   `BOARD_UI_MISSING` (the UI's files are found neither beside the bundle nor in node_modules).
 */
export function createQueueBoard(options: QueueBoardOptions): QueueBoardListener {
  if (options.tenants.length === 0) throw new BatonError('USAGE', 'the queue board needs at least one tenant');
  const uiPath = options.uiPath ?? boardUiPath();
  const adapter = new HonoAdapter(serveStatic);
  adapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.tenants.map((tenant) => new BullMQAdapter(options.queue.queue(tenant))),
    serverAdapter: adapter,
    options: { uiBasePath: uiPath, uiConfig: { boardTitle: 'Baton queues' } },
  });
  // not strict: `/board/` (what the server's banner prints) and `/board` are both the page
  const app = new Hono({ strict: false });
  app.route(options.basePath, adapter.registerPlugin());
  return getRequestListener(app.fetch) as QueueBoardListener;
}

/**
 * The folder of the Bull Board UI's files: `bull-board-ui/` beside this module (the built layout, out/), else the
 * `@bull-board/ui` package in node_modules (running from the sources).
 * @throws BatonError `BOARD_UI_MISSING` when neither holds `dist/index.ejs`.
 */
export function boardUiPath(here: string = import.meta.url): string {
  const beside = path.join(path.dirname(fileURLToPath(here)), BOARD_UI_FOLDER);
  if (existsSync(path.join(beside, 'dist', 'index.ejs'))) return beside;
  try {
    const installed = path.dirname(createRequire(here).resolve('@bull-board/ui/package.json'));
    if (existsSync(path.join(installed, 'dist', 'index.ejs'))) return installed;
  } catch {
    // not installed: reported below
  }
  throw new BatonError('BOARD_UI_MISSING', `the queue board's page is missing: neither ${beside} nor the @bull-board/ui package holds dist/index.ejs (run node esbuild.mjs)`);
}
