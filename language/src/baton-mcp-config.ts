import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The MCP servers a `.flow` file's tools may name: the keys of `mcp.servers` in the nearest baton.config.json. */
export interface McpServersConfig {
  /** The baton.config.json read; absent when there is none at or above the file. */
  file?: string;
  /** Its `mcp.servers` keys (empty when it has no `mcp` section). */
  servers: string[];
}

const CONFIG_FILE = 'baton.config.json';
const cache = new Map<string, { mtimeMs: number; servers: string[] | undefined }>();

/**
 * The `baton.config.json` at or above the folder of `flowFile` (a file-system path), as `baton run` finds it, with its
 * `mcp.servers` keys — read with the file system, once per change of the file (its modification time).
 * @returns `{ file, servers }`; `{ servers: [] }` when there is no such file; `undefined` when it cannot be read as
 *   JSON (`baton run` reports a broken file; the checker leaves the servers unchecked then).
 */
export function mcpServersFor(flowFile: string): McpServersConfig | undefined {
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
        entry = { mtimeMs, servers: readServers(file) };
        cache.set(file, entry);
      }
      return entry.servers ? { file, servers: entry.servers } : undefined;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { servers: [] };
    dir = parent;
  }
}

function readServers(file: string): string[] | undefined {
  try {
    const config = JSON.parse(readFileSync(file, 'utf8')) as { mcp?: { servers?: Record<string, unknown> } } | null;
    const servers = config?.mcp?.servers;
    return servers && typeof servers === 'object' && !Array.isArray(servers) ? Object.keys(servers) : [];
  } catch {
    return undefined;
  }
}
