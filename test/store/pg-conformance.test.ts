import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, Socket, type AddressInfo } from 'node:net';
import pg from 'pg';
import { MIGRATIONS, PG_SCHEMA_VERSION, PgRunStore } from '../../packages/cluster/src/index.js';
import { notifyChannel } from '../../packages/cluster/src/pg-migrations.js';
import { BatonError } from '../../packages/runtime/src/index.js';
import { runStoreConformance } from './conformance.js';
import { PgRelay } from './pg-relay.js';
import { pgTestSchemas } from './pg-test-schemas.js';

/**
 * The PostgreSQL store against a real server: `BATON_TEST_PG_URL` (scripts/services.mjs starts a private one and
 * exports it, with `PGPASSWORD`). Each test gets a schema of its own, dropped after it.
 */
const { testUrl, adminPool, newSchema, dropSchemas, endAdmin } = pgTestSchemas();

describe('PostgreSQL store', function () {
  // one failure, one line, when there is no server to test against (the tests below are then not run)
  before(() => void testUrl());
  after(async () => {
    await endAdmin();
  });

  runStoreConformance('PostgreSQL', {
    async fresh() {
      const schema = newSchema();
      return {
        handle: () => PgRunStore.open(testUrl(), { schema }),
        definitionCount: async () => Number((await adminPool().query(`SELECT count(*) AS n FROM ${schema}.definitions`)).rows[0].n),
      };
    },
    cleanup: dropSchemas,
  });

  /** Opening `target` fails with STORE_UNREACHABLE; returns its message. */
  async function unreachableMessage(target: string, options: Parameters<typeof PgRunStore.open>[1] = {}): Promise<string> {
    try {
      const store = await PgRunStore.open(target, { connectTimeoutMs: 3000, ...options });
      await store.close();
    } catch (error) {
      assert.ok(error instanceof BatonError, String(error));
      assert.equal(error.code, 'STORE_UNREACHABLE', error.message);
      assert.doesNotMatch(error.message, /\n/, 'one line');
      return error.message;
    }
    assert.fail(`opening ${target} succeeded`);
  }

  describe('PostgreSQL store: opening, migrations, faults', function () {
    this.timeout(30_000);
    afterEach(dropSchemas);

    it('applies its migrations once when several stores open a fresh database at once, and opens a migrated one as it is', async () => {
      const schema = newSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => PgRunStore.open(testUrl(), { schema })));
      const { rows } = await adminPool().query(`SELECT version FROM ${schema}.baton_schema ORDER BY version`);
      assert.deepEqual(rows.map((r) => r.version), Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
      const id = (await stores[0].createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() })).id;
      for (const s of stores) await s.close();
      const again = await PgRunStore.open(testUrl(), { schema });
      assert.equal((await again.getRun(id)).flow, 'F');
      await again.close();
    });

    it('migration 3: the start keys of a schema-1 database become tenant default\'s; a key is then unique per tenant', async () => {
      const schema = newSchema();
      const pool = new pg.Pool({ connectionString: testUrl(), max: 1, options: `-c search_path=${schema}` });
      try {
        await pool.query(`CREATE SCHEMA ${schema}`);
        await pool.query('CREATE TABLE baton_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
        await pool.query(MIGRATIONS[0].sql);
        await pool.query("INSERT INTO baton_schema (version, description) VALUES (1, 'as released')");
        await pool.query(`INSERT INTO runs (id, flow, status, started_at, inputs, definition) VALUES ('01OLDRUN0000000000000000AA', 'F', 'succeeded', now(), '{}', 'sha256:x')`);
        await pool.query("INSERT INTO start_keys (scope, key, run_id) VALUES ('/hook', 'k-1', '01OLDRUN0000000000000000AA')");
      } finally {
        await pool.end();
      }
      const store = await PgRunStore.open(testUrl(), { schema });
      try {
        const init = { flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() };
        assert.deepEqual(await store.createRun(init, { scope: '/hook', key: 'k-1' }), { id: '01OLDRUN0000000000000000AA', duplicate: true });
        const acme = await store.createRun({ ...init, tenant: 'acme' }, { scope: '/hook', key: 'k-1' });
        assert.equal(acme.duplicate, false);
        assert.equal((await store.getRun(acme.id)).tenant, 'acme');
      } finally {
        await store.close();
      }
    });

    it('refuses a database migrated by a newer Baton (STORE_TOO_NEW) and changes nothing', async () => {
      const schema = newSchema();
      await (await PgRunStore.open(testUrl(), { schema })).close();
      await adminPool().query(`INSERT INTO ${schema}.baton_schema (version, description) VALUES (999, 'from the future')`);
      await assert.rejects(PgRunStore.open(testUrl(), { schema }), (e: BatonError) => e.code === 'STORE_TOO_NEW' && /schema 999/.test(e.message));
    });

    it('names no password: not in location, not in messages', async () => {
      const parsed = new URL(testUrl());
      const secret = decodeURIComponent(parsed.password) || process.env.PGPASSWORD || '';
      const withPassword = new URL(testUrl());
      withPassword.password = encodeURIComponent(secret || 'unused-secret');
      const schema = newSchema();
      const store = await PgRunStore.open(withPassword.toString(), { schema });
      try {
        assert.ok(!store.location.includes(':' + (secret || 'unused-secret') + '@'), store.location);
        assert.match(store.location, new RegExp(`^postgres(ql)?://[^:@]*@?${parsed.hostname}`));
        const error = await store.getRun('ZZZZZZZZZZ').catch((e: Error) => e);
        assert.ok(error instanceof BatonError);
        if (secret) assert.ok(!error.message.includes(secret));
      } finally {
        await store.close();
      }
    });

    it('a refused password is STORE_UNREACHABLE naming host:port and the user, never the password', async () => {
      const role = `baton_pw_${randomBytes(4).toString('hex')}`;
      await adminPool().query(`CREATE ROLE ${role} LOGIN PASSWORD 'right-one'`);
      try {
        const target = new URL(testUrl());
        target.username = role;
        target.password = 'wrong-one';
        const message = await unreachableMessage(target.toString());
        assert.match(message, new RegExp(`PostgreSQL at ${target.hostname}:${target.port || 5432} refused the password of user "${role}"`));
        assert.ok(!message.includes('wrong-one'));
      } finally {
        await adminPool().query(`DROP ROLE ${role}`);
      }
    });

    it('a server that is not there, a host that does not exist and a URL that is not one are STORE_UNREACHABLE, one line each', async () => {
      // a port nothing listens on: bind one, then free it
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          server.close(() => resolve(port));
        });
      });
      assert.match(await unreachableMessage(`postgres://baton:s3cret@127.0.0.1:${port}/baton`), new RegExp(`^cannot reach PostgreSQL at 127.0.0.1:${port}: connection refused`));
      assert.match(await unreachableMessage('postgres://baton@no-such-host.invalid:5432/baton'), /^cannot reach PostgreSQL at no-such-host.invalid:5432: no such host$/);
      assert.match(await unreachableMessage('http://example.com/db'), /is not a postgres:\/\/ URL$/);
      assert.match(await unreachableMessage('not a url'), /is not a URL/);
      const noDb = new URL(testUrl());
      noDb.pathname = '/no_such_database_here';
      assert.match(await unreachableMessage(noDb.toString()), /has no database "no_such_database_here"$/);
    });

    it('a signal whose seq an unleased writer takes at that very moment is tried again at the new end of the log', async () => {
      const schema = newSchema();
      const store = await PgRunStore.open(testUrl(), { schema });
      const writer = await adminPool().connect();
      try {
        const { id } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
        await store.updateRun(id, { status: 'waiting', waitingOn: [{ kind: 'event', event: 'paid', key: 'k', node: 'n' } as never] });
        // another writer has inserted seq 1 and not committed yet: the signal reads the log's end as 0 and waits on seq 1
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO ${schema}.events (run_id, seq, type, time, data) VALUES ($1, 1, 'step.started', now(), '{"type":"step.started"}')`, [id]);
        const signalled = store.recordSignal(id, 'paid', { amount: 1 });
        const waiting = async () => (await adminPool().query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%'")).rows[0].n;
        while ((await waiting()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        await writer.query('COMMIT');
        const event = await signalled;
        assert.equal(event.seq, 2);
        assert.deepEqual((await store.getEvents(id)).map((e) => [e.seq, e.type]), [[1, 'step.started'], [2, 'event.received']]);
      } finally {
        writer.release();
        await store.close();
      }
    });

    it('watchRuns: a change inside a transaction that has not committed is not reported; its commit is', async () => {
      const schema = newSchema();
      const watcher = await PgRunStore.open(testUrl(), { schema });
      const writer = await PgRunStore.open(testUrl(), { schema });
      const raw = await adminPool().connect();
      const reports: string[][] = [];
      try {
        await watcher.watchRuns((changes) => reports.push(changes === 'all' ? ['*'] : [...changes]));
        const seen = (id: string) => reports.some((r) => r.includes(id));
        const until = async (id: string) => {
          while (!seen(id)) await new Promise((resolve) => setTimeout(resolve, 5));
        };
        const { id } = await writer.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
        await until(id);
        reports.length = 0;
        await raw.query('BEGIN');
        await raw.query(`INSERT INTO ${schema}.events (run_id, seq, type, time, data) VALUES ($1, 1, 'step.started', now(), '{"type":"step.started"}')`, [id]);
        await raw.query(`UPDATE ${schema}.runs SET status = 'waiting' WHERE id = $1`, [id]);
        // a commit after the open transaction's changes is reported; those changes are not
        const barrier = (await writer.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() })).id;
        await until(barrier);
        assert.ok(!seen(id), 'uncommitted changes are not reported');
        await raw.query('COMMIT');
        await until(id);
        // a lease claim or renewal changes nothing a watcher shows: not reported
        reports.length = 0;
        const lease = await writer.claimLease(id, 'w', 60_000);
        await writer.renewLease(lease!, 60_000);
        const second = (await writer.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() })).id;
        await until(second);
        assert.deepEqual(reports, [[second]]);
      } finally {
        raw.release();
        await watcher.close();
        await writer.close();
      }
    });

    /** The sessions of the watches of `schema`'s store, ended by the server (as a restart or a failover would). @returns how many. */
    const killWatches = async (schema: string): Promise<number> =>
      // this schema's watch only (its application_name names its channel): other tests' may still be listening
      (await adminPool().query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [`baton watch ${notifyChannel(schema)}`.slice(0, 63)])).rows[0].n;

    it('watchRuns: a lost listening connection is told once, then it reconnects with backoff, says so, reports "all", and reports changes again', async () => {
      const schema = newSchema();
      // the watch reaches the server through a relay that refuses its reconnects until it is let through
      const relay = await PgRelay.start(testUrl());
      const watcher = await PgRunStore.open(relay.url(testUrl()), { schema });
      const writer = await PgRunStore.open(testUrl(), { schema });
      const reports: (readonly string[] | 'all')[] = [];
      const states: [string, string][] = [];
      const deadline = Date.now() + 20_000; // a watch never restored fails the test with what it saw, not by the timeout
      const until = async (holds: () => boolean, what: string) => {
        while (!holds()) {
          if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(states)} ${JSON.stringify(reports)}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      try {
        await watcher.watchRuns((changes) => reports.push(changes), { onConnection: (state, message) => states.push([state, message]) });
        relay.mode = 'refuse';
        assert.equal(await killWatches(schema), 1);
        // three reconnects fail, each after a longer pause (0.25 s, 0.5 s, 1 s): the loss is told once, not per attempt
        await relay.until(() => relay.refused.length >= 3);
        const gaps = relay.refused.slice(1).map((at, i) => at - relay.refused[i]);
        assert.ok(gaps[0] >= 240 && gaps[1] >= 490, `the pauses between reconnects grow: ${gaps.join(', ')} ms`);
        assert.deepEqual(states.map(([state]) => state), ['lost']);
        assert.match(states[0][1], /PostgreSQL at 127\.0\.0\.1:\d+/);
        assert.doesNotMatch(states[0][1], /\n| {4}at /, 'one line, no stack');
        // let through: restored (said once), "all" reported (what changed meanwhile is unknown), then each change again
        relay.mode = 'forward';
        await until(() => states.length === 2 && reports.includes('all'), 'the watch was not restored');
        assert.deepEqual(states.map(([state]) => state), ['lost', 'restored']);
        assert.match(states[1][1], /^listening again to PostgreSQL at 127\.0\.0\.1:\d+ \(after \d+\.\d s\)$/);
        const { id } = await writer.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
        await until(() => reports.some((r) => r !== 'all' && r.includes(id)), `the run ${id} created after the restore was not reported`);
        assert.deepEqual(states.map(([state]) => state), ['lost', 'restored'], 'no other loss');
      } finally {
        await watcher.close();
        await writer.close();
        await relay.stop();
      }
    });

    it('watchRuns: closing the store while its watch reconnects cuts the reconnect: no connection to the server is left open once close() resolves', async () => {
      const schema = newSchema();
      const relay = await PgRelay.start(testUrl());
      const watcher = await PgRunStore.open(relay.url(testUrl()), { schema });
      try {
        await watcher.watchRuns(() => undefined);
        // the reconnect reaches the relay and hangs there (a network that drops packets) until connectTimeoutMs
        relay.mode = 'hold';
        assert.equal(await killWatches(schema), 1);
        await relay.until(() => relay.held.size === 1);
        await watcher.close();
        const open = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h instanceof Socket && !h.destroyed && h.remotePort === relay.port);
        assert.equal(open.length, 0, 'no socket of the watch or the pool is open when close() resolves');
      } finally {
        await watcher.close();
        await relay.stop();
      }
    });

    it('closing a store whose server stopped answering (the network froze) does not wait for goodbyes that never come: its connections are cut', async () => {
      const schema = newSchema();
      const relay = await PgRelay.start(testUrl());
      const store = await PgRunStore.open(relay.url(testUrl()), { schema });
      try {
        await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
        relay.freeze();
        // the pool's idle connection says goodbye and waits for the server's, which never comes: it is cut after the grace
        await store.close();
        const open = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h instanceof Socket && !h.destroyed && h.remotePort === relay.port);
        assert.equal(open.length, 0, 'no socket of the pool is open when close() resolves');
      } finally {
        await store.close();
        await relay.stop();
      }
    });

    it('PostgreSQL going away mid-run: the flush fails STORE_UNREACHABLE in one line, its events stay buffered and are written once the server is back', async () => {
      // the network between a worker and PostgreSQL
      const relay = await PgRelay.start(testUrl());
      const port = relay.port;
      const schema = newSchema();
      const store = await PgRunStore.open(relay.url(testUrl()), { schema, connectTimeoutMs: 3000 });
      try {
        const { id } = await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() });
        store.append(id, { type: 'cancel.requested', by: 'one' });
        await store.flush();
        store.append(id, { type: 'cancel.requested', by: 'two' });
        store.append(id, { type: 'cancel.requested', by: 'three' });
        // the network goes: every connection cut, nothing listening
        await relay.stop();
        const failed = await store.flush().then(
          () => assert.fail('the flush succeeded with the server gone'),
          (error: unknown) => error,
        );
        assert.ok(failed instanceof BatonError, String(failed));
        assert.equal(failed.code, 'STORE_UNREACHABLE');
        assert.match(failed.message, new RegExp(`PostgreSQL at 127.0.0.1:${port}`));
        assert.doesNotMatch(failed.message, /\n/);
        const stored = async () => (await adminPool().query(`SELECT data->>'by' AS by FROM ${schema}.events WHERE run_id = $1 ORDER BY seq`, [id])).rows.map((r) => r.by);
        assert.deepEqual(await stored(), ['one'], 'nothing half-written');
        assert.deepEqual((await store.getEvents(id).catch(() => undefined)), undefined, 'reads fail too while it is gone');
        // it comes back: the buffered events are written, in order, once
        await relay.restart();
        await store.flush();
        assert.deepEqual(await stored(), ['one', 'two', 'three']);
        assert.deepEqual((await store.getEvents(id)).map((e) => e.seq), [1, 2, 3]);
      } finally {
        await store.close();
        await relay.stop();
      }
    });

    it('a run\'s state update is committed with the events buffered before it, also when a flush queued ahead writes them', async () => {
      // The engine appends a run's closing event (run.succeeded, run.waiting…) and updates its state in one turn. A
      // flush of another run queued ahead took every buffered event — the closing one too — and committed it alone:
      // a worker killed before its update committed left the log ended and the run `running`, and the worker that
      // took it over ran it again (a second run.resumed and run.succeeded, found by the chaos soak).
      const schema = newSchema();
      const store = await PgRunStore.open(testUrl(), { schema });
      const other = await PgRunStore.open(testUrl(), { schema });
      const blocker = await adminPool().connect();
      try {
        const newRun = async (): Promise<string> => (await store.createRun({ flow: 'F', inputs: {}, definition: { name: 'F' } as never, startedAt: new Date().toISOString() })).id;
        const [x, y, z] = [await newRun(), await newRun(), await newRun()];
        // z's row is locked elsewhere: a write of z queued after the flush holds back what is queued behind it
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM ${schema}.runs WHERE id = $1 FOR UPDATE`, [z]);
        store.append(y, { type: 'step.started', node: 'n', step: 's', agent: 'A', target: 'agent' } as never);
        const flushed = store.flush();
        store.append(x, { type: 'run.succeeded', outputs: { r: 1 } } as never);
        const held = store.updateRun(z, { outputs: { held: true } });
        const closed = store.updateRun(x, { status: 'succeeded', outputs: { r: 1 }, finishedAt: new Date().toISOString(), waitingOn: [] });
        await flushed;
        const log = (await other.getEvents(x)).map((e) => e.type);
        const status = (await other.getRun(x)).status;
        assert.deepEqual({ log, status }, log.includes('run.succeeded') ? { log, status: 'succeeded' } : { log, status: 'running' }, 'the log and the state agree');
        await blocker.query('ROLLBACK');
        await Promise.all([held, closed]);
        assert.equal((await other.getRun(x)).status, 'succeeded');
        assert.deepEqual((await other.getEvents(x)).map((e) => e.type), ['run.succeeded']);
        assert.deepEqual((await other.getRun(z)).outputs, { held: true });
        assert.equal((await other.getEvents(y)).length, 1);
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        blocker.release();
        await store.close();
        await other.close();
      }
    });
  });
});
