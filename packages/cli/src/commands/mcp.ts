// `baton mcp [folder]`: Baton as an MCP server over stdio (mcp/baton-mcp-server.ts) for an assistant on this machine
// (Claude Desktop, an IDE): the folder's flows as tools, runs executed in this process on the local store. Its own
// bundle (out/mcp.mjs, loaded by mcp-loader.ts): `baton run` loads none of the MCP SDK.
import path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { BatonError, checkInputs, DEFAULT_RUN_CONCURRENCY, DEFAULT_TENANT, DueTimerPoller, RunSupervisor } from '@baton/runtime';
import type { WorkflowDefinition } from '@baton/protocol';
import { compileFolder, openStore, toCliError } from '../backend.js';
import { agentsFor, type AgentsMode } from '../agents-mode.js';
import { resolveStorePath } from '../store-path.js';
import { displayPath, type Output } from '../output/terminal.js';
import { runLimits } from '../run-limits.js';
import { inbox } from '../serve/inbox-route.js';
import type { Principal } from '../serve/access.js';
import { currentUser } from './control.js';
import { untilStopSignal } from '../stop-signal.js';
import { useMcpServers } from '../mcp-servers.js';
import { createBatonMcpServer, startToolName, type BatonMcpHost, type McpFlow } from '../mcp/baton-mcp-server.js';

/** Options of `baton mcp`. */
export interface McpCommandOptions {
  store?: string;
  agents: AgentsMode;
}

/** A startable flow with the definition it was compiled in and its file (absolute). */
interface LocalFlow extends McpFlow {
  definition: WorkflowDefinition;
  path: string;
}

/**
 * The flows of a folder an MCP client may start: every flow declared in its files, each once by name (a second flow of
 * the same name in another file is left out, with a note on stderr: tool names must be unique).
 */
export function startableFlows(compiled: { file: string; definition: WorkflowDefinition }[], root: string, note: (line: string) => void): LocalFlow[] {
  const flows = new Map<string, LocalFlow>();
  for (const { file, definition } of compiled) {
    for (const flow of Object.values(definition.flows)) {
      if (flow.range.file !== file) continue;
      const name = path.relative(root, file).split(path.sep).join('/') || path.basename(file);
      const taken = flows.get(flow.name);
      if (taken) {
        note(`flow ${flow.name} of ${name} is not offered: ${startToolName(flow.name)} starts the one of ${taken.file}`);
        continue;
      }
      flows.set(flow.name, { flow, file: name, definition, path: file });
    }
  }
  return [...flows.values()];
}

/**
 * `baton mcp [folder]`: checks the folder's `.flow` files (errors: exit 2, nothing served), then answers MCP over
 * stdin/stdout until stdin closes or SIGTERM/Ctrl-C. Runs execute in this process with `--agents` on `--store`
 * (its `baton.config.json`: the nearest the folder); a run still executing at the end is stored interrupted
 * (`baton resume` continues it). The local user is the caller: every action is allowed, recorded as `$USER`.
 * Nothing but MCP goes to stdout; the banner and the run log go to stderr.
 * @returns 0 once the client has gone.
 */
export async function mcpCommand(folder: string | undefined, opts: McpCommandOptions, output: Output): Promise<number> {
  const dir = path.resolve(folder ?? '.');
  const log = (line: string): void => output.err(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const compiled = await compileFolder(dir, output);
  const root = compiled.length === 1 && compiled[0].file === dir ? path.dirname(dir) : dir;
  const flows = startableFlows(compiled, root, log);
  const configProbe = path.join(root, 'served.flow');
  const { agents, runAgents } = agentsFor(opts.agents, configProbe, flows.map((f) => ({ definition: f.definition, flow: f.flow.name })));
  const limits = runLimits(configProbe);
  // the folder's MCP servers, for its agents' own MCP tools (connected at their first use)
  const closeMcp = useMcpServers(configProbe);
  const store = await openStore(resolveStorePath(opts.store));
  const supervisor = new RunSupervisor({ store, agents, runAgents, concurrency: DEFAULT_RUN_CONCURRENCY, log });
  const timers = new DueTimerPoller({ store, supervisor, intervalMs: 1000, log });
  const by = currentUser();
  const caller: Principal = { name: by, tenant: DEFAULT_TENANT, tenants: [DEFAULT_TENANT], roles: ['admin'], groups: [], via: 'open' };
  const host: BatonMcpHost = {
    flows,
    store,
    allow: () => undefined,
    start: async (entry, raw) => {
      const local = entry as LocalFlow;
      const inputs = checkInputs(local.flow, raw);
      const accepted = await supervisor.accept({ definition: local.definition, flowName: local.flow.name, inputs, file: local.path, ...limits });
      if (accepted.duplicate) throw new BatonError('INTERNAL', 'a start without a key answered another run');
      log(`run ${accepted.runId} · ${local.file} · ${local.flow.name} started over MCP`);
      return accepted;
    },
    decide: async (run, task, decision, comment) => {
      const refused = supervisor.refusal(run);
      if (refused) throw new BatonError('AGENTS_MISMATCH', refused);
      await store.recordDecision(run.id, task, { decision, by, comment });
      log(`run ${run.id} · ${task} ${decision} by ${by} over MCP`);
      return supervisor.resume(run.id);
    },
    approvals: () => inbox(store, caller),
    cancel: async (run) => {
      const status = await supervisor.cancel(run.id, by);
      log(`run ${run.id} · cancelled by ${by} over MCP`);
      return status;
    },
  };
  const server = createBatonMcpServer(host);
  try {
    const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
    await server.connect(new StdioServerTransport());
    timers.start();
    output.err(`baton mcp · ${flows.length} flow${flows.length === 1 ? '' : 's'} (${flows.map((f) => startToolName(f.flow.name)).join(', ') || 'none'}) · store ${displayPath(store.location)} · ${opts.agents} agents`);
    // stdin's end (the client went away) closes the transport; a signal stops it too
    await Promise.race([closed, untilStopSignal()]);
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    timers.stop();
    await server.close().catch(() => undefined);
    // runs still executing are stored interrupted: `baton resume` (or the next start's get_run) sees them
    await supervisor.close();
    await closeMcp();
    await store.close();
  }
}

