import { UsageError } from '../errors.js';
import { expandFlowPaths } from '../files.js';
import { displayPath, type Output } from '../output/terminal.js';
import { loadFlows, type FlowDiagnostic } from '../load-flows.js';

/**
 * `baton check <paths…> [--json]`: the editor's checker over files and folders (imports followed).
 * @returns 0 no errors (warnings allowed), 1 errors found; usage problems throw {@link UsageError} (2).
 */
export async function checkCommand(paths: string[], opts: { json?: boolean }, output: Output): Promise<number> {
  const files = expandFlowPaths(paths);
  const loaded = await loadFlows(files);
  const diagnostics = loaded.diagnostics;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (opts.json) {
    output.out(JSON.stringify(diagnostics, null, 2));
  } else {
    for (const d of diagnostics) output.out(formatDiagnostic(d, output));
    output.out(summaryLine(errors, warnings, loaded.files.length, output));
  }
  return errors > 0 ? 1 : 0;
}

/** `path:line:column - error|warning CODE: message` (spec section 7), coloured on a TTY. */
export function formatDiagnostic(d: FlowDiagnostic, output: Pick<Output, 'colors'>): string {
  const c = output.colors;
  const severity = d.severity === 'error' ? c.red('error') : c.yellow('warning');
  return `${c.cyan(displayPath(d.file))}:${d.line}:${d.column} - ${severity} ${c.dim(d.code)}: ${d.message}`;
}

function summaryLine(errors: number, warnings: number, files: number, output: Output): string {
  const c = output.colors;
  const fileText = `${files} file${files === 1 ? '' : 's'}`;
  if (errors === 0 && warnings === 0) return c.green(`✓ No problems in ${fileText}.`);
  const parts = [];
  if (errors > 0) parts.push(c.red(`${errors} error${errors === 1 ? '' : 's'}`));
  if (warnings > 0) parts.push(c.yellow(`${warnings} warning${warnings === 1 ? '' : 's'}`));
  return `${errors > 0 ? c.red('✗') : c.yellow('!')} ${parts.join(', ')} in ${fileText}.`;
}

export { UsageError };
