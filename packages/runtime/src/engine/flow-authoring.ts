// The seam between the runtime and the language's checker for flows written by agents (docs/agents.md): the runtime
// cannot import langium, so whoever runs flows (the CLI's run/test/serve/worker, the editor through the CLI) injects
// a FlowAuthoring made with the same checker as `baton check` (language/src/flow-authoring.ts).
import type { GeneratedFlowDiagnostic, GeneratePolicy, WorkflowDefinition } from '@baton/protocol';
import type { SourceFile } from '../store/store-api.js';

/** What a generated flow is checked against: the policy, and the workspace the generating step's definition was compiled from. */
export interface FlowCheckRequest {
  /** What the agent wrote. */
  source: string;
  policy: GeneratePolicy;
  /** The absolute path of the file holding the generating step (its declarations are what the flow may name). */
  file: string;
  /** The `.flow` texts of the running definition, by absolute path (the generating file and what it imports). */
  sources: readonly SourceFile[];
}

/** The checker's verdict: the accepted flow compiled to a definition (with its texts), or what is wrong with it. */
export type FlowCheckResult =
  | { ok: true; definition: WorkflowDefinition; flow: string; sources: SourceFile[] }
  | { ok: false; diagnostics: GeneratedFlowDiagnostic[] };

/**
 * Checks flow source an agent wrote: parses, links and validates it as `baton check` does, with the declarations of
 * `request.file` visible (as if imported), then applies the policy — one flow and nothing else (no `import`, agents,
 * tests or events), no triggers, only the policy's agents, flows and tools, at most `maxSteps` steps, inputs and
 * outputs fitting the policy's `input`/`output`. Never throws for bad source: every problem is a diagnostic.
 */
export interface FlowAuthoring {
  check(request: FlowCheckRequest, signal: AbortSignal): Promise<FlowCheckResult>;
}

let installed: FlowAuthoring | undefined;

/**
 * Installs the process's flow checker: every run this process starts, resumes or continues without its own
 * `RunOptions.flowAuthoring` uses it (the CLI installs the language's at start, and `baton serve`'s executor thread in
 * its thread). `undefined` removes it.
 */
export function installFlowAuthoring(authoring: FlowAuthoring | undefined): void {
  installed = authoring;
}

/** The process's flow checker ({@link installFlowAuthoring}), if one is installed. */
export function activeFlowAuthoring(): FlowAuthoring | undefined {
  return installed;
}
