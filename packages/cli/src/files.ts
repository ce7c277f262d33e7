import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.baton', 'out']);

/**
 * Expands CLI path arguments into absolute `.flow` file paths: a file is taken as it is (whatever its
 * extension, so a typo'd name is reported rather than ignored), a folder is searched recursively
 * (skipping node_modules, .git, .baton, out). Sorted, without duplicates.
 * @throws UsageError when a path does not exist or a folder holds no `.flow` file.
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
