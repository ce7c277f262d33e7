import path from 'node:path';

/**
 * The run store file: `--store`, else `BATON_STORE`, else `.baton/runs.db` in the working directory
 * (the workspace the CLI runs in).
 */
export function resolveStorePath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const chosen = flag ?? (env.BATON_STORE && env.BATON_STORE !== '' ? env.BATON_STORE : undefined);
  return path.resolve(cwd, chosen ?? path.join('.baton', 'runs.db'));
}
