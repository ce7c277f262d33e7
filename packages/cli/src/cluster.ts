import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunStoreApi } from '@baton/runtime';

/**
 * What the CLI uses of the cluster package (`@baton/cluster`, packages/cluster): typed here, not imported, so that
 * nothing of it (nor node-postgres) is bundled into out/cli.mjs.
 */
export interface ClusterModule {
  PgRunStore: {
    /**
     * Connects to a `postgres://` store and applies its migrations; the password from the URL, else `PGPASSWORD`.
     * @throws BatonError `STORE_UNREACHABLE` (bad URL, server down, login refused: one line, no password), `STORE_TOO_NEW`.
     */
    open(url: string, options?: { connectTimeoutMs?: number }): Promise<RunStoreApi>;
  };
}

/** The package's name, in a variable: esbuild leaves an `import()` of it alone (no bundling into cli.mjs). */
const CLUSTER_PACKAGE = '@baton/cluster';

/**
 * Loads the cluster package, only when a command is given a `postgres://` store: out/cluster.mjs beside this bundle
 * (built by esbuild.mjs; not in the .vsix), or — running from the sources under tsx — `@baton/cluster`. `baton run`
 * on SQLite, the editor and the language server never load it.
 * @param bundled where the bundled package would be (default: `cluster.mjs` beside this module).
 */
export async function loadCluster(bundled = new URL('./cluster.mjs', import.meta.url)): Promise<ClusterModule> {
  if (bundled.protocol === 'file:' && existsSync(fileURLToPath(bundled))) return (await import(bundled.href)) as ClusterModule;
  return (await import(CLUSTER_PACKAGE)) as ClusterModule;
}
