import { existsSync } from 'node:fs';
import path from 'node:path';

// apart from baton-config.ts (ajv, the schema): a command that only looks for a config loads none of it (issue 15)

/** The file name looked for next to a flow and in the folders above it. */
export const CONFIG_FILE_NAME = 'baton.config.json';

/**
 * The nearest `baton.config.json` at or above `startDir` (a folder), not going above `stopDir` when given.
 * @returns its absolute path, or undefined when there is none.
 */
export function findConfig(startDir: string, stopDir?: string): string | undefined {
  let dir = path.resolve(startDir);
  const stop = stopDir ? path.resolve(stopDir) : undefined;
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || dir === stop) return undefined;
    dir = parent;
  }
}
