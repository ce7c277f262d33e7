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
