/**
 * Undoes PostgreSQL migration 7 (the console's tables, pg-schema-7.ts) in the search path's schema: what a test that
 * builds a store of an older migration with today's store runs first, before undoing the older steps it tests.
 */
export const UNDO_MIGRATION_7 = `
  DROP TRIGGER events_added ON events;
  DROP FUNCTION baton_events_added();
  DROP TABLE notification_deliveries, notifications, baton_settings, definition_sources, sources, sla_breaches, run_steps;
  DROP INDEX runs_tenant_status, runs_tenant_flow, runs_tenant_flow_status, runs_sla_due;
  ALTER TABLE runs DROP COLUMN duration_ms, DROP COLUMN sla_due_at, DROP COLUMN sla_flow_at, DROP COLUMN sla_breached_at;
  DELETE FROM baton_schema WHERE version = 7;
`;
