// What internal-error.ts takes from the runtime when the process crashes while executing runs, imported with
// `import()` then (issue 15): a command that executes none, `baton check`, does not load the engine for it.
export { abandonRun, toRunError } from '@baton/runtime';
