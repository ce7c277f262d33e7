import { createFlowAuthoring } from '@baton/language/checker';
import { installFlowAuthoring } from '@baton/runtime';

let installed = false;

/**
 * Prepares this process's runtime for a command that runs flows (every command but `check`, loaded by program.ts
 * before its module): flows written by agents are checked with the checker `baton check` uses (docs/agents.md). Once
 * per process; the checker's services are built on the first flow an agent writes.
 */
export function setUpRuntime(): void {
  if (installed) return;
  installed = true;
  installFlowAuthoring(createFlowAuthoring());
}
