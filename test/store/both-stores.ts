/**
 * The two run stores a suite runs on, with identical cases: the embedded SQLite store (a temporary file) and the
 * PostgreSQL store (a schema of its own on the server scripts/services.mjs starts: `BATON_TEST_PG_URL`,
 * `PGPASSWORD`). A suite without the PostgreSQL server fails with one line — it never skips.
 *
 *   for (const kind of STORE_KINDS) describe(`… (${kind.name})`, () => { const stores = storesOf(kind); … });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';

/** One kind of store: how to make a fresh, empty one and open more handles on it. */
export interface StoreKind {
  name: 'SQLite' | 'PostgreSQL';
  /** A fresh empty store: `open` gives another handle on it (another process's view); `cleanup` removes it. */
  fresh(): Promise<{ location: string; open: () => Promise<RunStoreApi>; cleanup: () => Promise<void> }>;
}

function pgUrl(): string {
  const url = process.env.BATON_TEST_PG_URL;
  if (!url) throw new Error('BATON_TEST_PG_URL is not set: run the tests through scripts/services.mjs (npm test does), which starts PostgreSQL and sets it');
  return url;
}

export const SQLITE: StoreKind = {
  name: 'SQLite',
  async fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-both-'));
    const file = path.join(dir, 'runs.db');
    const opened: RunStoreApi[] = [];
    return {
      location: file,
      open: async () => {
        const store = SqliteRunStore.open(file);
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const s of opened.splice(0)) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const POSTGRES: StoreKind = {
  name: 'PostgreSQL',
  async fresh() {
    const url = pgUrl();
    const schema = `baton_t_${randomBytes(6).toString('hex')}`;
    const opened: RunStoreApi[] = [];
    return {
      location: `${url} (schema ${schema})`,
      open: async () => {
        const store = await PgRunStore.open(url, { schema });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const s of opened.splice(0)) await s.close().catch(() => undefined);
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await admin.end();
        }
      },
    };
  },
};

/** Both kinds, SQLite first. */
export const STORE_KINDS: StoreKind[] = [SQLITE, POSTGRES];

/**
 * Opens a handle on the store a {@link StoreKind}'s `fresh()` made, from its `location` alone — for a child process
 * a test starts (a SQLite file path; or `<url> (schema <name>)` for PostgreSQL, the password from `PGPASSWORD`).
 */
export async function openStoreAt(location: string): Promise<RunStoreApi> {
  const pgLocation = /^(postgres(?:ql)?:\/\/\S+) \(schema ([a-z0-9_]+)\)$/.exec(location);
  return pgLocation ? PgRunStore.open(pgLocation[1], { schema: pgLocation[2] }) : SqliteRunStore.open(location);
}
