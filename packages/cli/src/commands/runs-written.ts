// The flows agents wrote in a run and their policies accepted (docs/agents.md, "Flows written by agents"), for
// `baton runs show --json`'s `written`: the editor's graph panel draws them inside the run (docs/extension.md).
import type { FlowGeneratedEvent, RunEvent, WrittenFlowView } from '@baton/protocol';
import { buildFlowGraph } from '@baton/graph';
import type { RunStoreApi } from '@baton/runtime';

/**
 * Each accepted `flow.generated` of `events` (each definition once, in order) with its stored definition's graph and
 * text. A definition the store does not have is left out (its graph cannot be drawn; `runs show` still lists the
 * answer and its text from the event).
 */
export async function writtenFlows(store: RunStoreApi, events: readonly RunEvent[]): Promise<WrittenFlowView[]> {
  const seen = new Set<string>();
  const found: WrittenFlowView[] = [];
  for (const e of events) {
    if (e.type !== 'flow.generated' || !e.accepted || !e.definition || !e.flow || seen.has(e.definition)) continue;
    seen.add(e.definition);
    const view = await writtenFlow(store, e as FlowGeneratedEvent & { definition: string; flow: string }).catch(() => undefined);
    if (view) found.push(view);
  }
  return found;
}

async function writtenFlow(store: RunStoreApi, e: FlowGeneratedEvent & { definition: string; flow: string }): Promise<WrittenFlowView> {
  const hash = e.definition.replace(/^sha256:/, '');
  const definition = await store.getDefinitionByHash(hash);
  const file = definition.files[0];
  const source = (await store.getSourcesByHash(hash)).find((s) => s.file === file)?.text;
  return { step: e.step, node: e.node, flow: e.flow, definition: e.definition, file, ...(source !== undefined ? { source } : {}), graph: buildFlowGraph(definition, e.flow) };
}
