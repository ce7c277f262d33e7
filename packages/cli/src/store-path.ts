import path from 'node:path';

/** Whether a `--store` / `BATON_STORE` value is a PostgreSQL store URL (`postgres://` or `postgresql://`). */
export function isStoreUrl(store: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(store);
}

/**
 * The run store: `--store`, else `BATON_STORE`, else `.baton/runs.db` in the working directory (the workspace
 * the CLI runs in). A file path is made absolute; a `postgres://` URL is returned as given (its password, if it
 * has one, included: print the store's `location` or {@link redactStoreUrl}, never this).
 */
export function resolveStorePath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const chosen = flag ?? (env.BATON_STORE && env.BATON_STORE !== '' ? env.BATON_STORE : undefined);
  if (chosen !== undefined && isStoreUrl(chosen)) return chosen;
  return path.resolve(cwd, chosen ?? path.join('.baton', 'runs.db'));
}

/**
 * A store URL without its password (in the authority, or a `password=` parameter), for messages — before the
 * cluster package is loaded (its `redact` does the same for the store's `location`).
 */
export function redactStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString().replace(/^(postgres(?:ql)?:\/\/[^@/]*):@/i, '$1@');
  } catch {
    return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1@').replace(/([?&]password=)[^&]*/i, '$1***');
  }
}

/**
 * What `baton test` (and `--crash-at`) says on stderr when the environment names a store (`BATON_STORE`) and
 * `--store` does not: tests never read `BATON_STORE`. Their runs are kept in a private temporary store (in memory;
 * a temporary file for a crash test's processes) so that a shell set up for a shared store never gets test runs in
 * it — stub agents on a virtual clock, runs left waiting, a crash test's deliberately killed run that a cluster's
 * reconciler would hand to its workers — and so that tests need no database server. Naming a store with `--store`
 * is the deliberate way to keep them. Undefined when there is nothing to say.
 */
export function unusedTestStoreNote(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined || !env.BATON_STORE) return undefined;
  return 'note: baton test does not use BATON_STORE: its runs are kept in a private temporary store (give --store to keep them in a store)';
}
