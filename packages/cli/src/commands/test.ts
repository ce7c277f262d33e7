import { runTests, type TestResult } from '@baton/runtime';
import { CliError } from '../errors.js';
import { expandFlowPaths } from '../files.js';
import { displayPath, formatDuration, type Output } from '../output/terminal.js';
import { loadFlows, openStore } from '../backend.js';
import { formatDiagnostic } from './check.js';
import { resolveStorePath } from '../store-path.js';

/**
 * `baton test <paths…>`: runs every `test` block of the files, offline.
 * @returns 0 all passed, 1 any failed; checker errors throw (exit 2).
 */
export async function testCommand(paths: string[], opts: { json?: boolean; store?: string }, output: Output): Promise<number> {
  const files = expandFlowPaths(paths);
  const loaded = await loadFlows(files);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) output.err(formatDiagnostic(d, { colors: output.errColors }));
    throw new CliError(`the tests did not run: ${errors.length} checker error${errors.length === 1 ? '' : 's'}`, 2);
  }
  const builder = loaded.services.Baton.ir.WorkflowBuilder;
  const store = opts.store ? openStore(resolveStorePath(opts.store)) : undefined;
  const c = output.colors;
  const all: (TestResult & { file: string })[] = [];
  try {
    // Each given file is compiled with what it imports, and runs the tests it declares.
    for (const file of files) {
      const documents = loaded.documents.filter((d) => d.uri.fsPath === file);
      const imported = loaded.documents.filter((d) => d.uri.fsPath !== file);
      const definition = builder.build([...documents, ...imported]);
      const tests = definition.tests.filter((t) => t.range.file === file);
      if (tests.length === 0) continue;
      if (!opts.json) output.out(c.bold(displayPath(file)));
      await runTests(definition, tests, {
        store,
        onResult: (r) => {
          all.push({ ...r, file });
          if (opts.json) return;
          if (r.passed) output.out(`  ${c.green('✓')} ${r.name} ${c.dim(`(${formatDuration(r.durationMs)})`)}`);
          else output.out(`  ${c.red('✗')} ${r.name}\n      ${c.red(r.message ?? 'failed')}`);
        },
      });
    }
  } finally {
    store?.close();
  }
  const passed = all.filter((r) => r.passed).length;
  const failed = all.length - passed;
  if (opts.json) {
    output.out(JSON.stringify(all, null, 2));
  } else {
    if (all.length === 0) output.out(c.yellow('No test blocks found.'));
    output.out('');
    output.out(`${passed} passed, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}
