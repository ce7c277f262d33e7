// Migration 7 of the PostgreSQL store (issue 13, the operations console) — the same tables, columns, indexes and
// triggers as the SQLite store's schema 8 (runtime/src/store/sqlite-schema-8.ts): the runs list's indexes, the run
// duration and SLA columns, the step projection `run_steps` (filled by a trigger), SLA breaches, source texts, and the
// notifications outbox (filled by a trigger when `baton_settings.notifications` is on). The methods reading and
// writing them live in pg-stats.ts, pg-sources.ts, pg-sla.ts and pg-outbox.ts.

/** `run_steps`' columns, in the order {@link runStepRows} selects them. */
const RUN_STEP_COLUMNS = 'run_id, seq, tenant, flow, node, step, status, finished_at, duration_ms, attempts, tokens, cost_nano';

/**
 * The `run_steps` rows of the `step.finished` events among `events` (a table or transition table aliased `a`), with
 * their runs' tenant and flow. Numbers are rounded as the SQLite trigger rounds them (`floor(x + 0.5)` of the
 * double), so both stores hold equal values: durations and tokens to integers, `costUsd` to nano-dollars.
 */
const runStepRows = (events: string): string => `
  SELECT a.run_id, a.seq, r.tenant, r.flow, a.data->>'node', a.data->>'step', a.data->>'status', a.time,
    floor((a.data->>'durationMs')::float8 + 0.5)::bigint, (a.data->>'attempts')::integer,
    floor((a.data->>'tokens')::float8 + 0.5)::bigint, floor((a.data->>'costUsd')::float8 * 1000000000 + 0.5)::bigint
  FROM ${events} a JOIN runs r ON r.id = a.run_id WHERE a.type = 'step.finished'`;

/**
 * Migration 7's SQL (see the module comment; the columns' meaning is documented on the SQLite side):
 * - `runs.duration_ms`: a generated column, `finished_at − started_at` in ms (null while unfinished) — so it is set
 *   whenever `finished_at` is, by every writer, and computed for the runs already stored;
 * - `runs.sla_due_at`, `sla_flow_at`, `sla_breached_at` (`timestamptz`), with a partial index on `sla_due_at`;
 * - the indexes `(tenant, status, id)`, `(tenant, flow, id)`, `(tenant, flow, status, id)` (`(tenant, id)` is
 *   migration 1's `runs_tenant`);
 * - `run_steps` (read by run: no index but its key, as on SQLite), backfilled from the `step.finished` events
 *   stored before;
 * - `sla_breaches`, `sources`, `definition_sources`;
 * - `baton_settings` (one row: `notifications boolean`, false), `notifications` (the outbox, `expanded boolean`),
 *   `notification_deliveries`;
 * - one statement trigger over the inserted events (as `events_notify`), `events_added`: it adds the `run_steps`
 *   rows of the `step.finished` events and, while `baton_settings.notifications` is on, the outbox's notifications
 *   (one trigger, not two: each is a PL/pgSQL call per flush).
 * The trigger functions keep the search path they were created with (`SET search_path FROM CURRENT`: the store's
 * schema), so they find the store's tables whatever the inserting session's search path is.
 */
export const MIGRATION_7_SQL = `
  ALTER TABLE runs
    ADD COLUMN duration_ms bigint GENERATED ALWAYS AS (floor(extract(epoch FROM (finished_at - started_at)) * 1000 + 0.5)::bigint) STORED,
    ADD COLUMN sla_due_at timestamptz,
    ADD COLUMN sla_flow_at timestamptz,
    ADD COLUMN sla_breached_at timestamptz;
  CREATE INDEX runs_tenant_status ON runs (tenant, status, id);
  CREATE INDEX runs_tenant_flow ON runs (tenant, flow, id);
  CREATE INDEX runs_tenant_flow_status ON runs (tenant, flow, status, id);
  CREATE INDEX runs_sla_due ON runs (sla_due_at) WHERE sla_due_at IS NOT NULL;

  CREATE TABLE run_steps (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    tenant text NOT NULL,
    flow text NOT NULL,
    node text,
    step text,
    status text,
    finished_at timestamptz NOT NULL,
    duration_ms bigint,
    attempts integer,
    tokens bigint,
    cost_nano bigint,
    PRIMARY KEY (run_id, seq)
  );
  INSERT INTO run_steps (${RUN_STEP_COLUMNS}) ${runStepRows('events')} ON CONFLICT DO NOTHING;

  CREATE TABLE sla_breaches (
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    tenant text NOT NULL,
    flow text NOT NULL,
    deadline timestamptz NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  CREATE INDEX sla_breaches_at ON sla_breaches (tenant, at);

  CREATE TABLE sources (hash text COLLATE "C" PRIMARY KEY, text text NOT NULL);
  CREATE TABLE definition_sources (
    definition text COLLATE "C" NOT NULL,
    file text NOT NULL,
    source text COLLATE "C" NOT NULL,
    PRIMARY KEY (definition, file)
  );

  CREATE TABLE baton_settings (id boolean PRIMARY KEY DEFAULT true CHECK (id), notifications boolean NOT NULL DEFAULT false);
  INSERT INTO baton_settings DEFAULT VALUES;
  CREATE TABLE notifications (
    id text COLLATE "C" PRIMARY KEY,
    tenant text NOT NULL,
    run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    kind text NOT NULL,
    flow text NOT NULL,
    created_at timestamptz NOT NULL,
    expanded boolean NOT NULL DEFAULT false
  );
  CREATE INDEX notifications_new ON notifications (id) WHERE NOT expanded;
  CREATE FUNCTION baton_events_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO run_steps (${RUN_STEP_COLUMNS}) ${runStepRows('added')} ON CONFLICT DO NOTHING;
    IF (SELECT notifications FROM baton_settings) THEN
      INSERT INTO notifications (id, tenant, run_id, seq, kind, flow, created_at)
      SELECT a.run_id || ':' || a.seq, r.tenant, a.run_id, a.seq, CASE a.type WHEN 'approval.requested' THEN 'approval.waiting' ELSE a.type END, r.flow, a.time
      FROM added a JOIN runs r ON r.id = a.run_id WHERE a.type IN ('approval.requested', 'run.failed', 'sla.breached')
      ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER events_added AFTER INSERT ON events REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION baton_events_added();
  CREATE TABLE notification_deliveries (
    id text COLLATE "C" PRIMARY KEY,
    notification_id text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    tenant text NOT NULL,
    channel text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL,
    last_error text,
    sent_at timestamptz,
    claimed_by text,
    claimed_until timestamptz
  );
  CREATE INDEX notification_deliveries_due ON notification_deliveries (next_at) WHERE status = 'pending';
  CREATE INDEX notification_deliveries_tenant ON notification_deliveries (tenant, id);
`;
