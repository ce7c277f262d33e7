import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgRunStore } from '../../packages/cluster/src/index.js';
import { slaConformance } from './conformance-sla.js';

/**
 * The SLA methods on a real PostgreSQL: `BATON_TEST_PG_URL` (scripts/services.mjs). Each test gets a schema of its
 * own, dropped after it; each handle is a pool of its own (another poller).
 */
const url = process.env.BATON_TEST_PG_URL;
const testUrl = (): string => {
  if (!url) throw new Error('BATON_TEST_PG_URL is not set: run the tests through scripts/services.mjs, which starts PostgreSQL and sets it');
  return url;
};

describe('PostgreSQL store: SLAs', function () {
  let admin: pg.Pool | undefined;
  const schemas: string[] = [];
  before(() => void testUrl());
  after(async () => {
    await admin?.end();
  });
  slaConformance('PostgreSQL', {
    async fresh() {
      const schema = `baton_s_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return { handle: () => PgRunStore.open(testUrl(), { schema }) };
    },
    async cleanup() {
      admin ??= new pg.Pool({ connectionString: testUrl(), max: 1 });
      for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  });
});
