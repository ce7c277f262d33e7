import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { BatonError } from '@baton/runtime';

/**
 * BullMQ's connection settings for the Redis at `url` — `redis://[user[:password]@]host[:port][/db]` (or
 * `rediss://` for TLS) — after one PING proves it answers. The password is the URL's or the environment's
 * `REDISCLI_AUTH` (redis-cli's); it never appears in `location` or a message. Commands wait for a lost
 * connection to come back (`maxRetriesPerRequest: null`, as BullMQ workers need) instead of failing.
 * @throws BatonError `QUEUE_UNREACHABLE`: not a redis:// URL, refused, no such host, timed out, wrong password.
 */
export async function redisConnection(url: string, connectTimeoutMs = 5000, env: NodeJS.ProcessEnv = process.env): Promise<{ connection: ConnectionOptions & { host: string; port: number }; location: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BatonError('QUEUE_UNREACHABLE', `the queue URL "${redactRedis(url)}" is not a URL; write redis://host:6379`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new BatonError('QUEUE_UNREACHABLE', `the queue URL "${redactRedis(url)}" is not a redis:// URL`);
  if (!parsed.hostname) throw new BatonError('QUEUE_UNREACHABLE', `the queue URL "${redactRedis(url)}" names no host; write redis://host:6379`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new BatonError('QUEUE_UNREACHABLE', `the queue URL "${redactRedis(url)}" names database "${parsed.pathname.slice(1)}"; a Redis database is a number`);
  const port = parsed.port ? Number(parsed.port) : 6379;
  const password = parsed.password ? decodeURIComponent(parsed.password) : env.REDISCLI_AUTH || undefined;
  const connection = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(password ? { password } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
  const location = redactRedis(url);
  const where = `Redis at ${parsed.hostname}:${port}`;
  // one probe, failing fast (no retries), so a wrong URL or a server that is down is one clear line at start
  const probe = new Redis({ ...connection, lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // the connection's own error (ECONNREFUSED…) comes as an event; connect() then rejects with "Connection is closed"
  let cause: unknown;
  probe.on('error', (error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (thrown) {
    const error = cause ?? thrown;
    const text = String((error as Error)?.message ?? error);
    const code = (error as { code?: string })?.code ?? '';
    if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) throw new BatonError('QUEUE_UNREACHABLE', `cannot reach ${where}: connection refused (is redis-server running and listening there?)`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(text)) throw new BatonError('QUEUE_UNREACHABLE', `cannot reach ${where}: no such host`);
    if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) throw new BatonError('QUEUE_UNREACHABLE', `${where} refused the password (it comes from the URL or REDISCLI_AUTH)`);
    if (/NOAUTH/i.test(text)) throw new BatonError('QUEUE_UNREACHABLE', `${where} asks for a password and none was given (put it in the URL or REDISCLI_AUTH)`);
    if (/timeout|ETIMEDOUT/i.test(text)) throw new BatonError('QUEUE_UNREACHABLE', `cannot reach ${where}: the connection timed out`);
    throw new BatonError('QUEUE_UNREACHABLE', `cannot use ${where}: ${password ? text.split(password).join('***') : text}`);
  } finally {
    probe.disconnect();
  }
  return { connection, location };
}

/** `url` without its password. */
export function redactRedis(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    return parsed.toString().replace(/^(rediss?:\/\/[^@/]*):@/, '$1@');
  } catch {
    return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1@');
  }
}
