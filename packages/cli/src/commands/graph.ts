import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Output } from '../output/terminal.js';
import { loadDefinition, pickFlow, renderGraph } from '../backend.js';

/** Options of `baton graph`. */
export interface GraphOptions {
  flow?: string;
  format: 'json' | 'mermaid' | 'dot' | 'svg';
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
  const text = await renderGraph(definition, flow.name, opts.format);
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
