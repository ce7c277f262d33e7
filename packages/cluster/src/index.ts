/**
 * @baton/cluster — Baton on several machines (issue 11): the PostgreSQL run store, the run queue (BullMQ on Redis),
 * the worker and its reconciler. Nothing imports this package statically but its tests: the CLI loads it with a dynamic
 * `import()` only for a `postgres://` store, so the editor, `baton run` and the `.vsix` carry none of it.
 */
export * from './pg-run-store.js';
export { parseStoreUrl, redact, type PgRunStoreOptions, type PgTarget } from './pg-connection.js';
export { PG_SCHEMA_VERSION, type Migration } from './pg-migrations.js';
export * from './run-queue.js';
export * from './worker.js';
export { redisConnection, redactRedis } from './redis-connection.js';
export * from './front-door.js';
export { RedisRateLimiter, type RateTaken } from './rate-limit.js';
