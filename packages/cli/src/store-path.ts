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
