import { writeFileSync } from 'node:fs';
import { definitionTitle, forEachStatement, type FlowDef, type Statement, type WorkflowDefinition } from '@baton/protocol';
import { definitionHash } from '@baton/runtime';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { loadDefinition, openStore, pickFlow, renderGraph, toCliError } from '../backend.js';
import { resolveStorePath } from '../store-path.js';

/** Options of `baton graph`. */
export interface GraphOptions {
  flow?: string;
  format: 'json' | 'mermaid' | 'dot' | 'svg';
  /** Sub-flow steps to draw open: step names, `outer>inner` for one inside another. */
  expand?: string[];
  output?: string;
  /** `--run <id>`: draw the definition that stored run executes (no file). */
  run?: string;
  store?: string;
}

/**
 * `baton graph <file> [--flow] --format json|mermaid|dot|svg [-o file]`: the flow's graph.
 * `svg` is laid out with elkjs (packages/graph/src/layout.ts), the same layout the editor's graph panel draws.
 * @returns 0; usage problems and checker errors throw (exit 2).
 */
export async function graphCommand(file: string | undefined, opts: GraphOptions, output: Output): Promise<number> {
  const source = await graphSource(file, opts, output);
  const flow = source.flow;
  const text = await renderGraph(source.definition, flow.name, opts.format, expandIds(source.definition, flow.name, opts.expand ?? []), source.title);
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
 * What `baton graph` draws: the flow of a file, or (`--run <id>`) the flow of a stored run in the definition it
 * executes now, titled with that definition's hash and the ones it was migrated from.
 * @throws UsageError (exit 2): neither or both of a file and `--run`, `--flow` with `--run`, an unknown run.
 */
async function graphSource(file: string | undefined, opts: GraphOptions, output: Output): Promise<{ definition: WorkflowDefinition; flow: FlowDef; title?: string }> {
  if (opts.run === undefined) {
    if (file === undefined) throw new UsageError('give the .flow file to draw, or --run <id> for the definition a stored run executes');
    const { definition, entryFile } = await loadDefinition(file, output);
    return { definition, flow: pickFlow(definition, entryFile, opts.flow) };
  }
  if (file !== undefined) throw new UsageError('--run draws the definition stored with the run: give no file');
  if (opts.flow !== undefined) throw new UsageError('--run draws the run\'s own flow: leave out --flow');
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const run = await store.getRun(opts.run);
    const [definition, events] = await Promise.all([store.getDefinition(run.id), store.getEvents(run.id)]);
    const flow = definition.flows[run.flow];
    if (!flow) throw new UsageError(`run ${run.id}: its definition has no flow ${run.flow}`);
    return { definition, flow, title: `run ${run.id} · ${definitionTitle(definitionHash(definition), events)}` };
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
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
