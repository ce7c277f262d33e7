/**
 * The two run stores a `baton serve` suite runs on: SQLite (`runs.db` in the case's folder) and PostgreSQL (a fresh
 * schema `<prefix>_<12 hex>` per store on the server scripts/services.mjs starts). Registers a root `after` hook that
 * drops every schema it made, so call it once at a test file's top level:
 *
 *   const KINDS = serveStoreKinds('baton_s');
 *   for (const kind of KINDS) describe(`… (${kind.name} store)`, () => { … store = await kind.open(dir); … });
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { testServices } from '../cluster/test-services.js';

/**
 * One kind of store: `open(dir)` makes a fresh one (SQLite in `dir`; PostgreSQL ignores `dir`); `drop()` drops the
 * PostgreSQL schemas made so far (close their stores first; for a suite that cleans up after each test — the root
 * `after` hook drops what is left), and does nothing for SQLite (its file goes with the case's folder).
 */
export interface ServeStoreKind {
  name: 'SQLite' | 'PostgreSQL';
  open(dir: string): Promise<RunStoreApi>;
  drop(): Promise<void>;
}

/** Both kinds, SQLite first; `schemaPrefix` names the PostgreSQL schemas (e.g. `baton_s`). */
export function serveStoreKinds(schemaPrefix: string): ServeStoreKind[] {
  let admin: pg.Pool | undefined;
  const schemas: string[] = [];
  const drop = async (): Promise<void> => {
    if (schemas.length === 0) return;
    admin ??= new pg.Pool({ connectionString: testServices().pgUrl, max: 1 });
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  };
  after(async () => {
    await drop();
    await admin?.end();
    admin = undefined;
  });
  return [
    { name: 'SQLite', open: async (dir: string): Promise<RunStoreApi> => SqliteRunStore.open(path.join(dir, 'runs.db')), drop: async () => undefined },
    {
      name: 'PostgreSQL',
      open: async (): Promise<RunStoreApi> => {
        const schema = `${schemaPrefix}_${randomBytes(6).toString('hex')}`;
        schemas.push(schema);
        return PgRunStore.open(testServices().pgUrl, { schema });
      },
      drop,
    },
  ];
}
