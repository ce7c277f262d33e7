import { writeFileSync } from 'node:fs';
import { forEachStatement, type Statement, type WorkflowDefinition } from '@baton/protocol';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { loadDefinition, pickFlow, renderGraph } from '../backend.js';

/** Options of `baton graph`. */
export interface GraphOptions {
  flow?: string;
  format: 'json' | 'mermaid' | 'dot' | 'svg';
  /** Sub-flow steps to draw open: step names, `outer>inner` for one inside another. */
  expand?: string[];
  output?: string;
}

/**
 * `baton graph <file> [--flow] --format json|mermaid|dot|svg [-o file]`: the flow's graph.
 * `svg` is laid out with elkjs (packages/graph/src/layout.ts), the same layout the editor's graph panel draws.
 * @returns 0; usage problems and checker errors throw (exit 2).
 */
export async function graphCommand(file: string, opts: GraphOptions, output: Output): Promise<number> {
  const { definition, entryFile } = await loadDefinition(file, output);
  const flow = pickFlow(definition, entryFile, opts.flow);
  const text = await renderGraph(definition, flow.name, opts.format, expandIds(definition, flow.name, opts.expand ?? []));
  if (opts.output) {
    try {
      writeFileSync(opts.output, text.endsWith('\n') ? text : text + '\n');
    } catch (error) {
      throw new UsageError(`-o ${opts.output}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    output.err(`Wrote the ${opts.format} graph of ${flow.name} to ${opts.output}`);
  } else {
    output.out(text.replace(/\n$/, ''));
  }
  return 0;
}

/**
 * `--expand incident` → the step's node id (`Flow/incident`); `incident>page` → `Flow/incident>Sub/page`, the id
 * of a sub-flow step inside an expanded one.
 * @throws UsageError (exit 2) naming a step that is not a sub-flow step of the flow (or of the sub-flow named before it).
 */
function expandIds(definition: WorkflowDefinition, flowName: string, paths: string[]): string[] {
  const ids: string[] = [];
  for (const path of paths) {
    let flow = flowName;
    let prefix = '';
    for (const name of path.split('>')) {
      const step = findStep(definition.flows[flow]?.body ?? [], name);
      if (!step || step.target.kind !== 'flow') throw new UsageError(`--expand ${path}: ${flow} has no step \`${name}\` that calls a sub-flow`);
      const id = prefix + step.id;
      ids.push(id);
      prefix = `${id}>`;
      flow = step.target.name;
    }
  }
  return ids;
}

/** The step named `name` anywhere in `body` (inside branches and loops too). */
function findStep(body: Statement[], name: string): Extract<Statement, { kind: 'step' }> | undefined {
  let found: Extract<Statement, { kind: 'step' }> | undefined;
  forEachStatement(body, (s) => {
    if (!found && s.kind === 'step' && s.name === name) found = s;
  });
  return found;
}
