// The runs API of `baton serve` (`/runs`, `/runs/:id[/action]`): reads and actions on the caller's tenant's runs.
import type http from 'node:http';
import type { FlowDef, JsonValue, RunEvent } from '@baton/protocol';
import { BatonError, definitionHash, runTraceIds, waitsForEvent, type Accepted, type Continuation, type RunFilter, type RunPage, type RunRecord, type RunStoreApi, type RunSupervision, type TenantScope } from '@baton/runtime';
import { intParam, runsQuery } from './runs-query.js';
import { decodeSegment, HttpError, parseJson, readBody, send } from './http-io.js';
import { migrateOverHttp } from './migrate-route.js';
import type { Access, Principal } from './access.js';
import type { LiveHub } from './live-hub.js';
import type { ServedFlow, ServeOptions, ServePlan } from './server.js';

/** What the routes of one server share (built once in `startServer`). */
export interface RouteContext {
  plan: ServePlan;
  store: RunStoreApi;
  access: Access;
  supervisor: RunSupervision;
  options: ServeOptions;
  now: () => Date;
  /** Accepts a run of `served` for `tenant` with checked inputs: resolves once it is stored (queued). */
  start(served: ServedFlow, inputs: Record<string, JsonValue>, via: string, tenant: string, startKey?: { scope: string; key: string }): Promise<Accepted>;
  /** `raw` checked against `flow`'s inputs. @throws HttpError 422 with the runtime's code. */
  checked(flow: FlowDef, raw: Record<string, unknown>): Record<string, JsonValue>;
  /** The console's live updates: told of every run a route changes, once stored. */
  live: LiveHub;
}

/** Every flow the plan serves (each flow with a trigger), webhooks first, in plan order (a flow may appear twice). */
export function servedFlows(plan: ServePlan): ServedFlow[] {
  return [...plan.webhooks.values(), ...plan.schedules.map((s) => s.served), ...[...plan.events.values()].flat()];
}

/**
 * The runs API for `caller` (authenticated): every store query and supervisor request is scoped to its tenant's
 * runs; each route checks its role rule ({@link Access.require}, {@link Access.admitAction}) before the run is looked up.
 */
export async function runsApi(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string, url: URL, caller: Principal): Promise<void> {
  const { store, access, supervisor, options, now } = ctx;
  const tenant = caller.tenant;
  const scope = { tenant };
  if (path === '/runs' && method === 'POST') {
    access.admitAction(req, caller, 'act', 'start runs', now().getTime());
    await startOverApi(ctx, req, res, caller);
    return;
  }
  if (path === '/runs') {
    if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/runs takes GET or POST');
    access.require(caller, 'read', 'read runs');
    send(res, 200, await listRuns(store, { ...runsQuery(url.searchParams), tenant }, options.textScanLimit));
    return;
  }
  const match = /^\/runs\/([^/]+)(?:\/(approve|reject|cancel|redrive|migrate|events)(?:\/([^/]+))?)?$/.exec(path);
  if (!match) throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  const [, rawId, action, eventName] = match;
  if (!action) {
    if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`);
    access.require(caller, 'read', 'read runs');
    const withEvents = url.searchParams.get('events') ?? '1';
    if (withEvents !== '0' && withEvents !== '1') throw new HttpError(400, 'BAD_QUERY', `events must be 0 (the run alone) or 1 (with its events), not "${withEvents.slice(0, 40)}"`);
    const run = await store.getRun(decodeSegment(rawId), scope);
    const { traceId } = runTraceIds(run.id);
    const traceUrl = options.traceUrl?.replaceAll('{traceId}', traceId);
    send(res, 200, { run, definition: await definitionOf(store, run.id, scope), traceId, ...(traceUrl ? { traceUrl } : {}), ...(withEvents === '1' ? { events: await store.getEvents(run.id, scope) } : {}) });
    return;
  }
  if (action === 'events' && !eventName && method === 'GET') {
    access.require(caller, 'read', 'read runs');
    const after = intParam(url.searchParams, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url.searchParams, 'limit', 1000, 1, MAX_EVENTS_PAGE);
    const run = await store.getRun(decodeSegment(rawId), scope);
    if (!store.eventsSince) throw new HttpError(501, 'NOT_SUPPORTED', 'this store cannot page a run\'s events');
    const events = await store.eventsSince(run.id, after, limit, scope);
    send(res, 200, { events, ...(events.length === limit ? { next: events[events.length - 1].seq } : {}) });
    return;
  }
  if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`);
  const permission = action === 'approve' || action === 'reject' ? 'decide' : action === 'migrate' ? 'migrate' : 'act';
  access.admitAction(req, caller, permission, action === 'events' ? 'send events to runs' : `${action} runs`, now().getTime());
  const run = await store.getRun(decodeSegment(rawId), scope);
  const raw = await readBody(req, options.maxBodyBytes);
  const body = raw.length === 0 ? {} : parseJson(raw, req);
  // who acts is who authenticated (a user, a tenant's API token), never what a header claims (the audit trail records it)
  const by = caller.name;
  /** Refuses (409) a request that would continue a run whose agents this server does not run — before anything is recorded. */
  const assertAgents = (run: RunRecord): void => {
    const refused = supervisor.refusal(run);
    if (refused) throw new HttpError(409, 'AGENTS_MISMATCH', refused);
  };
  switch (action) {
    case 'approve':
    case 'reject': {
      const { task, decision, comment } = (body ?? {}) as { task?: unknown; decision?: unknown; comment?: unknown };
      if (typeof task !== 'string' || task === '') throw new HttpError(422, 'DECISION_INVALID', 'the body needs "task": the approval\'s name');
      if (decision !== undefined && typeof decision !== 'string') throw new HttpError(422, 'DECISION_INVALID', '"decision" must be a string');
      const chosen = action === 'reject' ? 'rejected' : ((decision as string | undefined) ?? 'approved');
      const { event } = await decideApproval(ctx, caller, run, task, chosen, typeof comment === 'string' ? comment : undefined);
      send(res, 202, { runId: run.id, task, decision: chosen, by, at: event.time });
      return;
    }
    case 'events': {
      if (!eventName) throw new HttpError(404, 'NOT_FOUND', 'name the event: /runs/:id/events/:name');
      const name = decodeSegment(eventName);
      assertAgents(run);
      const signal = await store.recordSignal(run.id, name, body as JsonValue, scope, by);
      ctx.live.changed([run.id]);
      if (signal.type === 'event.buffered') {
        // kept for a later wait; continued only when the run stopped at that wait meanwhile
        const now = await store.getRun(run.id, scope);
        if (now.status === 'waiting' && waitsForEvent(now, name)) await supervisor.resume(run.id, scope);
        send(res, 202, { runId: run.id, event: name, buffered: true, expires: signal.expires });
        return;
      }
      await supervisor.resume(run.id, scope);
      send(res, 202, { runId: run.id, event: name });
      return;
    }
    case 'cancel': {
      const status = await supervisor.cancel(run.id, by, scope);
      ctx.live.changed([run.id]);
      send(res, 202, { runId: run.id, status });
      return;
    }
    case 'redrive': {
      assertAgents(run);
      await supervisor.redrive(run.id, scope, by);
      ctx.live.changed([run.id]);
      send(res, 202, { runId: run.id });
      return;
    }
    case 'migrate': {
      const outcome = await migrateOverHttp(run, body, by, tenant, options.store, options.migrationTarget);
      ctx.live.changed([run.id]);
      if (outcome.problems.length > 0) {
        const error = { code: 'MIGRATION_REFUSED', message: `run ${run.id} cannot move to the new definition: ${outcome.problems.length} difference${outcome.problems.length === 1 ? '' : 's'} (see problems)` };
        send(res, 409, { error, ...outcome });
        return;
      }
      send(res, 200, { ...outcome, compatible: true });
      return;
    }
  }
}

/**
 * Decides approval `task` of `run` for `caller` (the runs API's approve/reject, `decide_approval` over MCP): checks it
 * may ({@link Access.assertMayDecide}) and that this server runs the run's agents, stores the decision (`by`: the
 * caller), then continues the run.
 * @returns the stored `approval.decided` event and the continuation (its `done` settles when the run stops again).
 * @throws HttpError 403 `NOT_ASSIGNEE`, 409 `AGENTS_MISMATCH`; BatonError `TASK_NOT_WAITING`, `DECISION_INVALID`.
 */
export async function decideApproval(ctx: RouteContext, caller: Principal, run: RunRecord, task: string, decision: string, comment: string | undefined): Promise<{ event: RunEvent; continuation: Continuation }> {
  const scope = { tenant: caller.tenant };
  ctx.access.assertMayDecide(caller, run, task);
  const refused = ctx.supervisor.refusal(run);
  if (refused) throw new HttpError(409, 'AGENTS_MISMATCH', refused);
  const event = await ctx.store.recordDecision(run.id, task, { decision, by: caller.name, comment }, scope);
  ctx.live.changed([run.id]);
  return { event, continuation: await ctx.supervisor.resume(run.id, scope) };
}

/**
 * `POST /runs {flow, inputs?}`: starts a served flow (one with a trigger; named by its flow name) for the caller's
 * tenant, its inputs checked as a webhook's. 202 `{runId, flow}`; 422 `UNKNOWN_FLOW` for a flow not served.
 */
async function startOverApi(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse, caller: Principal): Promise<void> {
  const raw = await readBody(req, ctx.options.maxBodyBytes);
  const { flow, inputs } = ((raw.length === 0 ? {} : parseJson(raw, req)) ?? {}) as { flow?: unknown; inputs?: unknown };
  if (typeof flow !== 'string' || flow === '') throw new HttpError(422, 'START_INVALID', 'the body needs "flow": the name of a served flow');
  if (inputs !== undefined && (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs))) throw new HttpError(422, 'INPUT_INVALID', '"inputs" must be a JSON object');
  const served = servedFlows(ctx.plan).find((s) => s.flow.name === flow);
  if (!served) throw new HttpError(422, 'UNKNOWN_FLOW', `no served flow is named ${flow} (a flow is served when it has a trigger)`);
  const accepted = await ctx.start(served, ctx.checked(served.flow, (inputs ?? {}) as Record<string, unknown>), `POST /runs (${caller.name})`, caller.tenant);
  send(res, 202, { runId: accepted.runId, flow: served.flow.name });
}

/** The most events `GET /runs/:id/events` answers at once. */
export const MAX_EVENTS_PAGE = 5000;

/**
 * `GET /runs`: one page of `filter`'s runs, newest first — `{runs, next?, searchedTo?}` (see `RunPage`; a text search
 * looks at `textScanLimit` runs a page, default `RUN_TEXT_SCAN_LIMIT`). A store
 * without keyset paging (`listRunsPage`) answers the plain filters (status, flow, limit) with no `next`, and 501
 * `NOT_SUPPORTED` for the others.
 */
export async function listRuns(store: RunStoreApi, filter: RunFilter & { limit: number }, textScanLimit?: number): Promise<RunPage> {
  if (store.listRunsPage) return store.listRunsPage(filter, textScanLimit !== undefined ? { scanLimit: textScanLimit } : undefined);
  if (filter.before !== undefined || filter.fromId !== undefined || filter.toId !== undefined || filter.text !== undefined) throw new HttpError(501, 'NOT_SUPPORTED', 'this store cannot page runs or filter them by time or text');
  return { runs: await store.listRuns(filter) };
}

/** The definitions (by hash) known to be in each store: a stored definition never changes or goes (only its absence is read again). */
const definitionsKnown = new WeakMap<RunStoreApi, Set<string>>();

/**
 * The definition of run `runId` as `GET /runs/:id` names it: its hash (SHA-256 hex) and whether the store has it
 * (`available`: false when `getDefinition` finds no row, `STORE_UNREADABLE`: the page then draws no graph).
 */
async function definitionOf(store: RunStoreApi, runId: string, scope: TenantScope): Promise<{ hash: string | null; available: boolean }> {
  let known = definitionsKnown.get(store);
  if (!known) definitionsKnown.set(store, (known = new Set()));
  let hash = store.getDefinitionSources ? (await store.getDefinitionSources(runId, scope)).definition : undefined;
  if (hash && known.has(hash)) return { hash, available: true };
  try {
    const definition = await store.getDefinition(runId);
    hash ??= definitionHash(definition);
    known.add(hash);
    if (known.size > 1000) known.delete(known.values().next().value!);
    return { hash, available: true };
  } catch (error) {
    if (error instanceof BatonError && error.code === 'STORE_UNREADABLE') return { hash: hash ?? null, available: false };
    throw error;
  }
}
