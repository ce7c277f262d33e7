// The runtime's pieces a command line's start-up reads before it knows what it will run (`@baton/runtime/start-up`):
// its error class, where a config is, the tracing settings, the supervisor's defaults for the help text — without
// the engine, the store, the agents or the config's reader (ajv), which the runtime's index brings in whole. The CLI's
// start-up and `baton check` import only this (issue 15); both are the same modules as the index's, so an error
// thrown by the runtime is `instanceof` the `BatonError` read here.
export * from './errors.js';
export * from './config/find-config.js';
export * from './telemetry/telemetry-settings.js';
export * from './supervisor/defaults.js';
