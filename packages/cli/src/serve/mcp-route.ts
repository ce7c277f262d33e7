// `POST /mcp` of `baton serve`: the Baton MCP server (mcp/baton-mcp-server.ts) over MCP's streamable HTTP, stateless —
// each request is answered by a server made for its caller, who is authenticated as for the runs API (a Bearer token:
// a user with its roles in its tenant, or a tenant's API token). The MCP SDK is loaded on the first request
// (out/mcp.mjs beside out/serve.mjs), not when the server starts.
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { HttpError, parseJson, readBody } from './http-io.js';
import { inbox } from './inbox-route.js';
import { decideApproval, servedFlows, type RouteContext } from './runs-route.js';
import type { Principal } from './access.js';
import type { ServedFlow } from './server.js';
import type { BatonMcpHost, McpFlow } from '../mcp/baton-mcp-server.js';
import path from 'node:path';

/** The MCP module from the sources, in a variable: esbuild leaves an `import()` of it alone (not inlined). */
const MCP_SOURCE = '../mcp/mcp-bundle.js';

/** What serve uses of the MCP bundle. */
interface McpHttpModule {
  answerMcpOverHttp(host: BatonMcpHost, req: http.IncomingMessage, res: http.ServerResponse, body: unknown): Promise<void>;
}

let loaded: Promise<McpHttpModule> | undefined;

/** The MCP bundle (out/mcp.mjs beside this one), or under tsx its sources; loaded once. */
function mcpModule(): Promise<McpHttpModule> {
  const bundled = new URL('./mcp.mjs', import.meta.url);
  loaded ??= (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled)) ? import(bundled.href) : import(MCP_SOURCE)) as Promise<McpHttpModule>;
  return loaded;
}

/** A served flow as MCP offers it: by name, its file relative to the served folder. */
interface ServedMcpFlow extends McpFlow {
  served: ServedFlow;
}

/**
 * `POST /mcp` for `caller`: what `POST /runs`, `GET /runs…`, `GET /approvals` and `POST /runs/:id/approve` do, as MCP
 * tools (see `createBatonMcpServer`): the served flows (those with a trigger) to start, the caller's tenant's runs,
 * the approvals it may decide — each call with the runs API's role rule (a viewer reads, an operator starts, an
 * approver decides). Only a Bearer token (or `--insecure`): a console session's cookie is refused (an MCP client is
 * not a browser page; its requests carry no CSRF token). GET and DELETE: 405 (stateless: no session to resume or end).
 * @throws HttpError 401 `BEARER_REQUIRED` (a session cookie), 405, 413/400 for the body.
 */
export async function mcpRoute(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse, method: string, caller: Principal): Promise<void> {
  if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', '/mcp takes POST (streamable HTTP, stateless: no GET stream, no session to DELETE)', { allow: 'POST' });
  if (caller.via === 'session') throw new HttpError(401, 'BEARER_REQUIRED', '/mcp takes Authorization: Bearer <token> (a user\'s or a tenant\'s API token), not the console\'s session cookie');
  const raw = await readBody(req, ctx.options.maxBodyBytes);
  const body = parseJson(raw, req);
  const scope = { tenant: caller.tenant };
  const root = ctx.plan.root;
  const flows = new Map<string, ServedMcpFlow>();
  for (const served of servedFlows(ctx.plan)) {
    if (flows.has(served.flow.name)) continue;
    const file = root ? path.relative(root, served.file).split(path.sep).join('/') : path.basename(served.file);
    flows.set(served.flow.name, { flow: served.flow, file, served });
  }
  const host: BatonMcpHost = {
    flows: [...flows.values()],
    store: ctx.store,
    scope,
    allow: (permission, what) => ctx.access.require(caller, permission, what),
    start: async (entry, raw) => {
      const { served } = entry as ServedMcpFlow;
      const accepted = await ctx.start(served, ctx.checked(served.flow, raw), `MCP (${caller.name})`, caller.tenant);
      if (accepted.duplicate) throw new HttpError(500, 'INTERNAL', 'a start without a key answered another run');
      return accepted;
    },
    decide: async (run, task, decision, comment) => (await decideApproval(ctx, caller, run, task, decision, comment)).continuation,
    approvals: () => inbox(ctx.store, caller),
    cancel: async (run) => {
      const status = await ctx.supervisor.cancel(run.id, caller.name, scope);
      ctx.live.changed([run.id]);
      return status;
    },
  };
  await (await mcpModule()).answerMcpOverHttp(host, req, res, body);
}
