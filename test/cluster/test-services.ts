import { randomBytes, randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Where the cluster suites find the real PostgreSQL and Redis: the environment scripts/services.mjs gives the command it
 * runs (`npm run test:unit` runs mocha under it). No mock stands in for either.
 */

/** What a cluster suite connects to. */
export interface TestServices {
  /** `postgres://baton@127.0.0.1:<port>/baton_test`: no password in it; `pg` reads it from PGPASSWORD. */
  pgUrl: string;
  /** The generated password of the role `baton` (PGPASSWORD). */
  pgPassword: string;
  /** `redis://127.0.0.1:<port>`. */
  redisUrl: string;
}

/** The one line a suite fails with when it was not started through scripts/services.mjs. */
export const SERVICES_MISSING = 'run the suites through npm test, which starts PostgreSQL and Redis (scripts/services.mjs)';

/**
 * The services' addresses from BATON_TEST_PG_URL, PGPASSWORD and BATON_TEST_REDIS_URL. Throws an Error whose message
 * (and stack: mocha prints it) is SERVICES_MISSING, naming the variables absent, when any is missing — call it in a
 * `before` hook so the suite fails there, once.
 */
export function testServices(env: NodeJS.ProcessEnv = process.env): TestServices {
  const absent = ['BATON_TEST_PG_URL', 'PGPASSWORD', 'BATON_TEST_REDIS_URL'].filter((name) => !env[name]);
  if (absent.length) {
    const error = new Error(`${SERVICES_MISSING} — ${absent.join(', ')} not set`);
    error.stack = `Error: ${error.message}`;
    throw error;
  }
  return { pgUrl: env.BATON_TEST_PG_URL!, pgPassword: env.PGPASSWORD!, redisUrl: env.BATON_TEST_REDIS_URL! };
}

/**
 * Runs `work` with a client of the test server's administrative database (`BATON_TEST_PG_URL`), closed after it —
 * for what a test does to the server itself (create, drop, end other sessions).
 */
export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServices().pgUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of a test's own on the test server, and (when asked) a Redis database index of its own. */
export interface TestDatabase {
  /** The database's name: `<prefix>_<12 hex digits>`. */
  readonly name: string;
  /** Its URL, `postgres://baton@127.0.0.1:<port>/<name>`: no password in it (`pg` and baton read PGPASSWORD). */
  readonly storeUrl: string;
  /** `redis://127.0.0.1:<port>/<index>`, an index from 1 to 15, emptied (FLUSHDB) when made and when dropped. */
  readonly queueUrl: string;
  /** Drops the database (`WITH (FORCE)`: sessions still connected are ended) and empties the Redis index. */
  drop(): Promise<void>;
}

/** Empties the Redis database `url` names (its path's index). */
async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/**
 * Makes an empty database `<prefix>_<random>` on the test server (and, with `queue`, picks a Redis database index
 * from 1 to 15 and empties it; index 0 is left to the suites that use per-tenant queues on it). `prefix` is a lower
 * case SQL identifier (`baton_worker`). Throws SERVICES_MISSING's error outside scripts/services.mjs.
 */
export async function createTestDatabase(prefix: string, options: { queue?: boolean } = {}): Promise<TestDatabase> {
  const services = testServices();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const store = new URL(services.pgUrl);
  store.pathname = `/${name}`;
  let queueUrl: string | undefined;
  if (options.queue) {
    const queue = new URL(services.redisUrl);
    queue.pathname = `/${1 + randomInt(15)}`;
    queueUrl = queue.toString();
    await flushRedis(queueUrl);
  }
  return {
    name,
    storeUrl: store.toString(),
    get queueUrl(): string {
      if (!queueUrl) throw new Error(`createTestDatabase('${prefix}') was not asked for a queue ({ queue: true })`);
      return queueUrl;
    },
    async drop() {
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (queueUrl) await flushRedis(queueUrl);
    },
  };
}

/**
 * Gives each test of the calling `describe` (or, with `scope: 'suite'`, the whole suite) a database of its own from
 * {@link createTestDatabase}, made in a `beforeEach` (`before`) and dropped in an `afterEach` (`after`) that this
 * registers. The handle it returns reads the current one; reading it outside a test or a later hook throws.
 *
 * Mocha runs a suite's hooks of one kind in the order they were registered: call this before the hooks that read
 * the handle; a suite whose processes must end gracefully before their database goes stops them in an `afterEach`
 * registered before this call (processes merely SIGKILLed may be left to the drop, which ends their sessions).
 */
export function databasePerTest(prefix: string, options: { queue?: boolean; scope?: 'test' | 'suite' } = {}): TestDatabase {
  let current: TestDatabase | undefined;
  const now = (): TestDatabase => {
    if (!current) throw new Error(`databasePerTest('${prefix}'): no database outside a test`);
    return current;
  };
  const [setUp, tearDown] = options.scope === 'suite' ? [before, after] : [beforeEach, afterEach];
  setUp(async () => {
    current = await createTestDatabase(prefix, options);
  });
  tearDown(async () => {
    const done = current;
    current = undefined;
    await done?.drop();
  });
  return {
    get name() { return now().name; },
    get storeUrl() { return now().storeUrl; },
    get queueUrl() { return now().queueUrl; },
    drop: () => now().drop(),
  };
}
