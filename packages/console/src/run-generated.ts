// The flows agents wrote during a run and their policies accepted (docs/agents.md, "Flows written by agents"): each
// accepted `flow.generated` event names a stored definition, which `GET /runs/<id>/definition?generated=<hash>`
// answers like the run's own (packages/cli/src/serve/definition-route.ts): the run page shows its source beside the
// run's files and draws its graph under the run's, coloured by the same events (its steps' node ids are its own).
import type { FlowGeneratedEvent, FlowGraph, RunEvent } from '@baton/protocol';
import { get } from './api.js';
import type { SourceFileView } from './source-view.js';

/** One written flow as the page shows it. */
export interface WrittenFlow {
  /** The generating step's key. */
  step: string;
  flow: string;
  hash: string;
  graph: FlowGraph;
  sources: SourceFileView[];
}

/** The accepted written flows of a run's events (each definition once), fetched in order; one that fails is left out. */
export async function writtenFlows(runId: string, events: readonly RunEvent[]): Promise<WrittenFlow[]> {
  const accepted = events.filter((e): e is FlowGeneratedEvent => e.type === 'flow.generated' && e.accepted && e.definition !== undefined);
  const seen = new Set<string>();
  const found: WrittenFlow[] = [];
  for (const e of accepted) {
    if (seen.has(e.definition!)) continue;
    seen.add(e.definition!);
    const answer = await get<{ hash: string; flow: string; graph: FlowGraph; sources: SourceFileView[] }>(`/runs/${encodeURIComponent(runId)}/definition?generated=${encodeURIComponent(e.definition!)}`).catch(() => undefined);
    if (answer) found.push({ step: e.step, flow: answer.flow, hash: answer.hash, graph: answer.graph, sources: answer.sources });
  }
  return found;
}
