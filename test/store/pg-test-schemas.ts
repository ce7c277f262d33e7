/**
 * The PostgreSQL test server's URL and throwaway schemas, for the PostgreSQL store suites (pg-conformance.test.ts,
 * pg-schema7.test.ts): `BATON_TEST_PG_URL` (scripts/services.mjs starts a private server and exports it, with
 * `PGPASSWORD`), a schema of its own per store, dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The helpers one suite file uses; each call has its own admin pool and list of schemas. */
export interface PgTestSchemas {
  /** The URL or one clear line: these tests never skip (a cluster change must be tested on PostgreSQL). */
  testUrl(): string;
  /** A pool (2 connections) for raw reads and writes beside the store under test. */
  adminPool(): pg.Pool;
  /** A new schema name `baton_t_<12 hex>`, dropped by {@link dropSchemas}. */
  newSchema(): string;
  /** Drops every schema {@link newSchema} named since the last call. */
  dropSchemas(): Promise<void>;
  /** Ends the admin pool (opened again on the next use). */
  endAdmin(): Promise<void>;
}

/** Makes the helpers of {@link PgTestSchemas}. */
export function pgTestSchemas(): PgTestSchemas {
  const url = process.env.BATON_TEST_PG_URL;
  let admin: pg.Pool | undefined;
  const schemas: string[] = [];
  const testUrl = (): string => {
    if (!url) throw new Error('BATON_TEST_PG_URL is not set: run the tests through scripts/services.mjs, which starts PostgreSQL and sets it');
    return url;
  };
  const adminPool = (): pg.Pool => (admin ??= new pg.Pool({ connectionString: testUrl(), max: 2 }));
  return {
    testUrl,
    adminPool,
    newSchema: () => {
      const schema = `baton_t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return schema;
    },
    dropSchemas: async () => {
      for (const schema of schemas.splice(0)) await adminPool().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
    endAdmin: async () => {
      await admin?.end();
      admin = undefined;
    },
  };
}
