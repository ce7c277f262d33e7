/**
 * The real components of the cluster suites, as scripts/services.mjs starts them around mocha: a private PostgreSQL
 * (password logins only) and a private Redis on loopback ports. Round trips through the clients the cluster uses
 * (`pg`, `ioredis`, `bullmq`); a wrong password is refused by PostgreSQL itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase, databasePerTest, testServices, withAdmin, type TestServices } from './test-services.js';

describe('the services the cluster suites run against (scripts/services.mjs)', function () {
  let services: TestServices;
  before(() => {
    services = testServices();
  });

  it('PostgreSQL listens on 127.0.0.1 and its URL carries no password', () => {
    const url = new URL(services.pgUrl);
    assert.deepEqual([url.protocol, url.hostname, url.username, url.password, url.pathname], ['postgres:', '127.0.0.1', 'baton', '', '/baton_test']);
    assert.match(url.port, /^\d+$/);
  });

  it('PostgreSQL takes the password from PGPASSWORD and round-trips a row through a table', async () => {
    const client = new pg.Client({ connectionString: services.pgUrl });
    await client.connect();
    const table = `smoke_${randomUUID().replaceAll('-', '')}`;
    try {
      await client.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, body jsonb NOT NULL)`);
      const inserted = await client.query<{ id: string }>(`INSERT INTO ${table} (body) VALUES ($1) RETURNING id`, [{ run: 'r1', steps: ['a', 'b'] }]);
      const selected = await client.query<{ body: unknown }>(`SELECT body FROM ${table} WHERE id = $1`, [inserted.rows[0].id]);
      assert.deepEqual(selected.rows, [{ body: { run: 'r1', steps: ['a', 'b'] } }]);
      const auth = await client.query<{ method: string }>("SELECT current_setting('password_encryption') AS method");
      assert.equal(auth.rows[0].method, 'scram-sha-256');
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  });

  it('PostgreSQL refuses a wrong password with its own error (28P01)', async () => {
    // Fields, not connectionString: pg lets the URL's (absent) password override `password`, then falls back to PGPASSWORD.
    const url = new URL(services.pgUrl);
    const client = new pg.Client({ host: url.hostname, port: Number(url.port), user: url.username, database: url.pathname.slice(1), password: `not-${services.pgPassword}` });
    try {
      await assert.rejects(client.connect(), (error: Error & { code?: string }) => {
        assert.equal(error.code, '28P01');
        assert.equal(error.message, 'password authentication failed for user "baton"');
        return true;
      });
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('Redis round-trips a SET and a GET', async () => {
    const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = `baton:smoke:${randomUUID()}`;
    try {
      assert.equal(await redis.set(key, 'value ✓', 'PX', 60_000), 'OK');
      assert.equal(await redis.get(key), 'value ✓');
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });

  it('a BullMQ worker on that Redis takes a job a queue was given and completes it', async () => {
    const connection = { url: services.redisUrl };
    const name = `smoke-${randomUUID()}`;
    const queue = new Queue(name, { connection });
    const worker = new Worker(name, async (job: Job<{ runId: string }>) => ({ activated: job.data.runId }), { connection });
    try {
      const completed = new Promise<unknown>((resolve, reject) => {
        worker.on('completed', (_job, result) => resolve(result));
        worker.on('failed', (_job, error) => reject(error));
      });
      await queue.add('activate', { runId: 'r1' });
      assert.deepEqual(await completed, { activated: 'r1' });
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('a test database of its own (createTestDatabase, databasePerTest)', function () {
  const exists = (name: string): Promise<boolean> => withAdmin(async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
  const keysIn = async (url: string): Promise<number> => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      return await redis.dbsize();
    } finally {
      redis.disconnect();
    }
  };

  it('makes an empty database named by its prefix and an empty Redis index 1–15; drop removes the database (connected sessions ended) and empties the index', async () => {
    const database = await createTestDatabase('baton_svc', { queue: true });
    let dropped = false;
    try {
      assert.match(database.name, /^baton_svc_[0-9a-f]{12}$/);
      const store = new URL(database.storeUrl);
      assert.deepEqual([store.username, store.password, store.pathname], ['baton', '', `/${database.name}`]);
      assert.match(database.queueUrl, /^redis:\/\/127\.0\.0\.1:\d+\/([1-9]|1[0-5])$/);
      assert.ok(await exists(database.name));
      assert.equal(await keysIn(database.queueUrl), 0);
      // a session left connected (a process the test SIGKILLed may still hold one) does not stop the drop
      const session = new pg.Client({ connectionString: database.storeUrl });
      session.on('error', () => undefined);
      await session.connect();
      const redis = new Redis(database.queueUrl);
      await redis.set('left-over', '1');
      redis.disconnect();
      await database.drop();
      dropped = true;
      assert.equal(await exists(database.name), false);
      assert.equal(await keysIn(database.queueUrl), 0);
      await session.end().catch(() => undefined);
    } finally {
      if (!dropped) await database.drop();
    }
  });

  it('asked for no queue, it has none to give', async () => {
    const database = await createTestDatabase('baton_svc');
    try {
      assert.throws(() => database.queueUrl, /was not asked for a queue/);
    } finally {
      await database.drop();
    }
  });

  describe('databasePerTest', () => {
    const database = databasePerTest('baton_each');
    const seen: string[] = [];
    it('gives a test a database of its own', async () => {
      seen.push(database.name);
      assert.ok(await exists(database.name));
    });
    it('and the next test another, the first one dropped', async () => {
      seen.push(database.name);
      assert.notEqual(seen[1], seen[0]);
      assert.ok(await exists(seen[1]));
      assert.equal(await exists(seen[0]), false);
    });
  });
});
