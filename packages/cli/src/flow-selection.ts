import { forEachStatement, type FlowDef, type Statement, type WorkflowDefinition } from '@baton/protocol';
import { UsageError } from './errors.js';
import { displayPath } from './output/terminal.js';

/**
 * Chooses the flow `baton run`/`graph` works on (docs/language.md, "entry flow"): the `--flow` name; else
 * the only flow declared in the file; else the file's entry flow — the one flow of the file that no other
 * flow of the file calls, as a sub-flow or as a tool of an agent one of its steps runs.
 * @throws UsageError naming the candidates when the name is unknown or the choice is ambiguous.
 */
export function pickFlow(definition: WorkflowDefinition, entryFile: string, name: string | undefined): FlowDef {
  const inFile = Object.values(definition.flows).filter((f) => f.range.file === entryFile);
  if (name !== undefined) {
    const flow = definition.flows[name];
    if (!flow) {
      const known = (inFile.length ? inFile : Object.values(definition.flows)).map((f) => f.name);
      throw new UsageError(
        `--flow ${name}: ${displayPath(entryFile)} has no flow named "${name}"` + (known.length ? `; its flows are ${known.join(', ')}` : ''),
      );
    }
    return flow;
  }
  if (inFile.length === 0) throw new UsageError(`${displayPath(entryFile)}: this file declares no flow`);
  if (inFile.length === 1) return inFile[0];
  const called = new Set<string>();
  for (const flow of inFile) collectSubflowCalls(flow.body, called, definition);
  const entries = inFile.filter((f) => !called.has(f.name));
  if (entries.length === 1) return entries[0];
  throw new UsageError(
    `${displayPath(entryFile)} declares several flows (${inFile.map((f) => f.name).join(', ')}); choose one with --flow`,
  );
}

/**
 * Adds the names of the flows called anywhere in `body` to `into`: as sub-flows, and — given the `definition` that
 * declares the agents — as tools of the agents its steps run (`tools: [RefundFlow]`).
 */
export function collectSubflowCalls(body: Statement[], into: Set<string>, definition?: WorkflowDefinition): void {
  forEachStatement(body, (s) => {
    if (s.kind !== 'step') return;
    if (s.target.kind === 'flow') into.add(s.target.name);
    if (s.target.kind === 'agent') for (const tool of definition?.agents[s.target.name]?.tools ?? []) if (tool.target.kind === 'flow') into.add(tool.target.name);
  });
}
