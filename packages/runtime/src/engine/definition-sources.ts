// The `.flow` texts a definition was compiled from, kept beside the definition object (not inside it: the IR stays
// pure and its hash unchanged) until a run of it is stored — `NewRun.sources` / `RunMigration.sources` (issue 13,
// the console's Source tab). Whoever compiles a definition attaches its texts, taken from the documents it was built
// from; the engine passes them with every run it stores.
import type { WorkflowDefinition } from '@baton/protocol';
import type { SourceFile } from '../store/store-api.js';

const attached = new WeakMap<WorkflowDefinition, readonly SourceFile[]>();

/** Keeps `sources` (each file of `definition.files` with its text) for runs of `definition` (this object). */
export function attachSources(definition: WorkflowDefinition, sources: readonly SourceFile[]): void {
  attached.set(definition, sources);
}

/** The texts attached to `definition` ({@link attachSources}), or undefined. */
export function sourcesOf(definition: WorkflowDefinition): readonly SourceFile[] | undefined {
  return attached.get(definition);
}

/** `{ sources }` for a new run's or a migration's fields when texts are attached to `definition`, else nothing. */
export function sourcesField(definition: WorkflowDefinition): { sources?: readonly SourceFile[] } {
  const sources = attached.get(definition);
  return sources ? { sources } : {};
}
