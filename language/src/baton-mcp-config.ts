import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EstimateConfig } from '@baton/protocol';

/** The MCP servers a `.flow` file's tools may name: the keys of `mcp.servers` in the nearest baton.config.json. */
export interface McpServersConfig {
  /** The baton.config.json read; absent when there is none at or above the file. */
  file?: string;
  /** Its `mcp.servers` keys (empty when it has no `mcp` section). */
  servers: string[];
}

const CONFIG_FILE = 'baton.config.json';
/** What the language server reads of a baton.config.json: its MCP servers' names and what estimates price with. */
interface ReadConfig {
  servers: string[];
  estimate: EstimateConfig;
}

const cache = new Map<string, { mtimeMs: number; read: ReadConfig | undefined }>();

/**
 * The `baton.config.json` at or above the folder of `flowFile` (a file-system path), as `baton run` finds it, with its
 * `mcp.servers` keys — read with the file system, once per change of the file (its modification time).
 * @returns `{ file, servers }`; `{ servers: [] }` when there is no such file; `undefined` when it cannot be read as
 *   JSON (`baton run` reports a broken file; the checker leaves the servers unchecked then).
 */
export function mcpServersFor(flowFile: string): McpServersConfig | undefined {
  const found = nearestConfig(flowFile);
  if (!found) return { servers: [] };
  return found.read ? { file: found.file, servers: found.read.servers } : undefined;
}

/**
 * The `prices` and `agents` overrides (`model`, `maxTokens`) of the baton.config.json nearest to `flowFile`, as `baton
 * estimate` prices a flow with them; undefined when there is none or it cannot be read as JSON. Entries of the wrong
 * shape are left out (`baton estimate` reports them).
 */
export function estimateConfigFor(flowFile: string): EstimateConfig | undefined {
  return nearestConfig(flowFile)?.read?.estimate;
}

/** The baton.config.json at or above the folder of `flowFile`, read once per change of the file (its modification time). */
function nearestConfig(flowFile: string): { file: string; read: ReadConfig | undefined } | undefined {
  let dir = path.dirname(path.resolve(flowFile));
  for (;;) {
    const file = path.join(dir, CONFIG_FILE);
    let mtimeMs: number | undefined;
    try {
      const stat = statSync(file);
      if (stat.isFile()) mtimeMs = stat.mtimeMs;
    } catch {
      // not here: look in the parent folder
    }
    if (mtimeMs !== undefined) {
      let entry = cache.get(file);
      if (!entry || entry.mtimeMs !== mtimeMs) {
        entry = { mtimeMs, read: readConfig(file) };
        cache.set(file, entry);
      }
      return { file, read: entry.read };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readConfig(file: string): ReadConfig | undefined {
  type Raw = { mcp?: { servers?: unknown }; prices?: unknown; agents?: unknown } | null;
  let config: Raw;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Raw;
  } catch {
    return undefined;
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const servers = config?.mcp?.servers;
  const prices: NonNullable<EstimateConfig['prices']> = {};
  for (const [model, price] of Object.entries(isRecord(config?.prices) ? config.prices : {})) {
    if (isRecord(price) && typeof price.input === 'number' && typeof price.output === 'number') prices[model] = { input: price.input, output: price.output };
  }
  const agents: NonNullable<EstimateConfig['agents']> = {};
  for (const [name, agent] of Object.entries(isRecord(config?.agents) ? config.agents : {})) {
    if (!isRecord(agent)) continue;
    agents[name] = { ...(typeof agent.model === 'string' ? { model: agent.model } : {}), ...(typeof agent.maxTokens === 'number' ? { maxTokens: agent.maxTokens } : {}) };
  }
  return { servers: isRecord(servers) ? Object.keys(servers) : [], estimate: { prices, agents } };
}
