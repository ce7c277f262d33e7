import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.baton', 'out']);

/**
 * Expands CLI path arguments into absolute `.flow` file paths: a file must be a `.flow` file (another one is
 * reported, not ignored), a folder is searched recursively (skipping node_modules, .git, .baton, out).
 * Sorted, without duplicates.
 * @throws UsageError when a path does not exist, is a file that is not a `.flow` file, or is a folder holding
 *   no `.flow` file.
 */
export function expandFlowPaths(args: string[], cwd = process.cwd()): string[] {
  const files = new Set<string>();
  for (const arg of args) {
    const full = path.resolve(cwd, arg);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      throw new UsageError(`${arg}: no such file or folder`);
    }
    if (stat.isDirectory()) {
      const found = findFlowFiles(full);
      if (found.length === 0) throw new UsageError(`${arg}: no .flow files in this folder`);
      found.forEach((f) => files.add(f));
    } else if (!full.endsWith('.flow')) {
      throw new UsageError(`${arg}: not a .flow file`);
    } else {
      files.add(full);
    }
  }
  return [...files].sort();
}

function findFlowFiles(folder: string): string[] {
  const result: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) result.push(...findFlowFiles(path.join(folder, entry.name)));
    } else if (entry.isFile() && entry.name.endsWith('.flow')) {
      result.push(path.join(folder, entry.name));
    }
  }
  return result;
}
