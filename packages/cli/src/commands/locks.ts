import { formatTimestamp } from '@baton/protocol';
import type { LockInfo } from '@baton/runtime';
import { openStore, toCliError } from '../backend.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';

/**
 * `baton locks list [--json] [--tenant <id>] [--store …]`: the named locks held now (see `lock "name" { … }`), each with
 * its holder (run, block, since when) and its queue, oldest waiter first. `--json`: the `LockInfo` records.
 * @returns 0.
 */
export async function locksListCommand(opts: { json?: boolean; tenant?: string; store?: string }, output: Output): Promise<number> {
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const locks = await store.listLocks(opts.tenant !== undefined ? { tenant: opts.tenant } : {});
    if (opts.json) {
      output.out(JSON.stringify(locks, null, 2));
      return 0;
    }
    if (locks.length === 0) {
      output.out('No lock is held.');
      return 0;
    }
    for (const line of lockLines(locks)) output.out(line);
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** One line per lock (`stock:A1  held by <run> since <time>, 2 waiting`), then one per waiter, indented. */
export function lockLines(locks: readonly LockInfo[]): string[] {
  const lines: string[] = [];
  for (const lock of locks) {
    const tenant = lock.tenant === 'default' ? '' : ` (tenant ${lock.tenant})`;
    lines.push(`${lock.name}${tenant}  held by ${lock.holder.runId} since ${formatTimestamp(lock.holder.since)}${lock.queue.length ? `, ${lock.queue.length} waiting` : ''}`);
    lock.queue.forEach((w, i) => lines.push(`  ${i + 1}. ${w.runId} waiting since ${formatTimestamp(w.since)}`));
  }
  return lines;
}
