import type { PoolClient } from 'pg';
import { BatonError } from '@baton/runtime';
import { chainStoredEvents } from './pg-chain.js';
import { MIGRATION_7_SQL } from './pg-schema-7.js';

/** One step of the PostgreSQL store's schema: applied once, in its own transaction, recorded in `baton_schema`. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** A step in JavaScript after `sql`, in the same transaction (what SQL cannot compute). */
  after?: (client: PoolClient) => Promise<void>;
}

/**
 * The PostgreSQL store's schema, in order; a store records each version it applied in `baton_schema`. Never edit
 * a released step: add the next one.
 *
 * Ids are `text COLLATE "C"`: ULIDs sort by time byte-wise, and `LIKE 'prefix%'` then uses the primary key's index.
 * JSON values are `json` (stored as written; `jsonb` refuses `\u0000` and reorders keys). `waiting_on` and `agents`
 * are `jsonb` (small, Baton's own, queried by the supervisor). Times are `timestamptz`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, events, definitions, start keys; leases (owner, expiry, epoch) and tenants',
    sql: `
      CREATE TABLE definitions (
        hash text COLLATE "C" PRIMARY KEY,
        body json NOT NULL
      );
      CREATE TABLE runs (
        id text COLLATE "C" PRIMARY KEY,
        tenant text NOT NULL DEFAULT 'default',
        flow text NOT NULL,
        file text,
        status text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        inputs json NOT NULL,
        outputs json NOT NULL DEFAULT '{}',
        error json,
        waiting_on jsonb NOT NULL DEFAULT '[]',
        cancel_requested boolean NOT NULL DEFAULT false,
        definition text NOT NULL,
        agents jsonb,
        lease_owner text,
        lease_expires_at timestamptz,
        epoch bigint NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_status ON runs (status, id);
      CREATE INDEX runs_tenant ON runs (tenant, id);
      CREATE TABLE events (
        run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        type text NOT NULL,
        time timestamptz NOT NULL,
        data json NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE TABLE start_keys (
        scope text NOT NULL,
        key text NOT NULL,
        run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        PRIMARY KEY (scope, key)
      );
    `,
  },
  {
    version: 2,
    description: 'NOTIFY on the run changes channel when a run is created, its state changes or events are added',
    // Sent in the writing transaction: PostgreSQL delivers a notification only when (and if) it commits, and drops
    // duplicates within one transaction. The payload is the changed run ids, comma-separated, or '*' when they do
    // not fit in a payload (8000 bytes). Lease claims and renewals (owner, expiry, epoch) notify nobody.
    sql: `
      CREATE FUNCTION baton_notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('baton_runs:' || left(TG_TABLE_SCHEMA, 40), NEW.id);
        RETURN NULL;
      END $$;
      CREATE FUNCTION baton_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids text;
      BEGIN
        SELECT string_agg(DISTINCT run_id, ',') INTO ids FROM added;
        IF ids IS NOT NULL THEN
          PERFORM pg_notify('baton_runs:' || left(TG_TABLE_SCHEMA, 40), CASE WHEN length(ids) > 7900 THEN '*' ELSE ids END);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER runs_notify_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION baton_notify_run();
      CREATE TRIGGER runs_notify_update AFTER UPDATE ON runs FOR EACH ROW
        WHEN ((OLD.status, OLD.finished_at, OLD.outputs::text, OLD.error::text, OLD.waiting_on, OLD.cancel_requested, OLD.agents, OLD.tenant)
          IS DISTINCT FROM (NEW.status, NEW.finished_at, NEW.outputs::text, NEW.error::text, NEW.waiting_on, NEW.cancel_requested, NEW.agents, NEW.tenant))
        EXECUTE FUNCTION baton_notify_run();
      CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_events();
    `,
  },
  {
    version: 3,
    description: 'start keys unique per tenant',
    sql: `
      ALTER TABLE start_keys ADD COLUMN tenant text NOT NULL DEFAULT 'default';
      ALTER TABLE start_keys DROP CONSTRAINT start_keys_pkey;
      ALTER TABLE start_keys ADD PRIMARY KEY (tenant, scope, key);
    `,
  },
  {
    version: 4,
    description: 'broadcast events kept for a later wait (persistent triggers)',
    sql: `
      CREATE TABLE kept_events (
        id text PRIMARY KEY,
        tenant text NOT NULL,
        event text NOT NULL,
        data jsonb NOT NULL,
        kept_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        taken_by text
      );
      CREATE INDEX kept_events_open ON kept_events (tenant, event, taken_by);
      CREATE UNIQUE INDEX kept_events_taker ON kept_events (taken_by);
    `,
  },
  {
    version: 5,
    description: 'named locks across runs: holders and first-come-first-served waiters (issue 12)',
    sql: `
      CREATE TABLE locks (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        name text NOT NULL,
        run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key text NOT NULL,
        node text NOT NULL,
        state text NOT NULL,
        since timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, name, run_id, key)
      );
      CREATE INDEX locks_run ON locks (run_id);
    `,
  },
  {
    version: 6,
    description: 'the audit chain: events.prev_hash and events.hash (issue 13); the events stored before are chained',
    sql: `
      ALTER TABLE events ADD COLUMN prev_hash text, ADD COLUMN hash text;
    `,
    after: chainStoredEvents,
  },
  {
    version: 7,
    description: 'the operations console (issue 13): list indexes, run duration and SLA columns, run_steps, sla_breaches, sources, the notifications outbox',
    sql: MIGRATION_7_SQL,
  },
];

/**
 * The channel the store's triggers notify (migration 2) in schema `schema`: `baton_runs:` and the schema's name
 * (its first 40 characters: a channel name is at most 63 bytes).
 */
export function notifyChannel(schema: string): string {
  return `baton_runs:${schema.slice(0, 40)}`;
}

/** The newest schema version this build knows. */
export const PG_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the store's schema (`schema`, created when missing, or the connection's current one) up to
 * {@link PG_SCHEMA_VERSION}: each missing migration in its own transaction holding a transaction-scoped advisory
 * lock keyed by the schema's name, so that stores opening at once apply each step exactly once (the others wait,
 * then find it applied).
 * @throws BatonError `STORE_TOO_NEW` when the database records a version this build does not know.
 */
export async function migrate(client: PoolClient, schema: string | undefined, location: string): Promise<void> {
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('baton.schema:' || $1))", [schema ?? '']);
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query('CREATE TABLE IF NOT EXISTS baton_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM baton_schema');
      const current = rows[0]?.version ?? 0;
      if (current > PG_SCHEMA_VERSION) {
        throw new BatonError('STORE_TOO_NEW', `the run store ${location} was written by a newer Baton (schema ${current}; this one knows ${PG_SCHEMA_VERSION})`);
      }
      const next = MIGRATIONS.find((m) => m.version > current);
      if (!next) {
        await client.query('COMMIT');
        return;
      }
      await client.query(next.sql);
      await next.after?.(client);
      await client.query('INSERT INTO baton_schema (version, description) VALUES ($1, $2)', [next.version, next.description]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
