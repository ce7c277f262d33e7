// What telemetry.ts takes from the runtime only when it needs it (issue 15): the config's reader (ajv and the schema)
// when there is a config, run tracing when an endpoint is configured. Imported with `import()`: `baton check` of a
// folder without either loads none of it.
export { installRunTelemetry, loadConfig, loadRunTelemetry } from '@baton/runtime';
