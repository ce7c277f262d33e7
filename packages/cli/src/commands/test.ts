import { runTests, type TestResult } from '@baton/runtime';
import { CliError, UsageError } from '../errors.js';
import { expandFlowPaths } from '../files.js';
import { formatDuration } from '@baton/protocol';
import { displayPath, type Output } from '../output/terminal.js';
import { documentsOf, loadFlows, openStore, withSources } from '../backend.js';
import { formatDiagnostic } from './check.js';
import { resolveStorePath, unusedTestStoreNote } from '../store-path.js';
import { useMcpServers } from '../mcp-servers.js';
import { runLimits } from '../run-limits.js';

/**
 * One test's line in `baton test --json`'s array: the runtime's {@link TestResult} (its `range` and, when it
 * failed, `failedExpectation.range` are 1-based, end exclusive) plus the file and the test's first line.
 */
export type TestReport = TestResult & { file: string; line: number };

/**
 * `baton test <paths…> [--test name]… [--store path|url]`: runs the `test` blocks of the files (only those named by
 * `--test`, when given), offline. The test runs are kept in memory, or in the store `--store` names; `BATON_STORE`
 * is never read (a note on stderr says so when it is set: see {@link unusedTestStoreNote}).
 * @returns 0 all passed, 1 any failed; checker errors throw (exit 2); a `--test` name no file declares
 *   throws a UsageError (exit 2) naming it.
 */
export async function testCommand(paths: string[], opts: { json?: boolean; store?: string; test?: string[] }, output: Output): Promise<number> {
  const note = unusedTestStoreNote(opts.store);
  if (note) output.err(note);
  const files = expandFlowPaths(paths);
  const loaded = await loadFlows(files);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) output.err(formatDiagnostic(d, { colors: output.errColors }));
    throw new CliError(`the tests did not run: ${errors.length} checker error${errors.length === 1 ? '' : 's'}`, 2);
  }
  const builder = loaded.services.Baton.ir.WorkflowBuilder;
  const c = output.colors;
  // Each given file is compiled with what it imports (nothing else: another given file's same-named agent
  // must not replace its own), and runs the tests it declares.
  const plans = files.map((file) => {
    // its texts attached: a flow an agent writes is checked against them (docs/agents.md)
    const documents = documentsOf(loaded, file);
    const definition = withSources(builder.build(documents), documents);
    return { file, definition, tests: definition.tests.filter((t) => t.range.file === file) };
  });
  const only = opts.test && opts.test.length > 0 ? new Set(opts.test) : undefined;
  if (only) {
    const declared = new Set(plans.flatMap((p) => p.tests.map((t) => t.name)));
    const unknown = [...only].filter((name) => !declared.has(name));
    if (unknown.length > 0) throw new UsageError(`--test ${unknown.map((n) => JSON.stringify(n)).join(', ')}: no test with ${unknown.length === 1 ? 'this name' : 'these names'} in ${paths.join(' ')}`);
  }
  const store = opts.store ? await openStore(resolveStorePath(opts.store)) : undefined;
  const all: TestReport[] = [];
  try {
    for (const { file, definition, tests: declared } of plans) {
      const tests = only ? declared.filter((t) => only.has(t.name)) : declared;
      if (tests.length === 0) continue;
      if (!opts.json) output.out(c.bold(displayPath(file)));
      // the MCP servers of the file's baton.config.json: a stub script's MCP calls are answered by them
      const closeMcp = useMcpServers(file);
      const { maxFlowDepth, estimateConfig } = runLimits(file);
      await runTests(definition, tests, {
        store,
        maxFlowDepth,
        estimateConfig,
        onResult: (r) => {
          all.push({ ...r, file, line: r.range.start.line });
          if (opts.json) return;
          if (r.passed) output.out(`  ${c.green('✓')} ${r.name} ${c.dim(`(${formatDuration(r.durationMs)})`)}`);
          else {
            const at = r.failedExpectation?.range ?? r.range;
            output.out(`  ${c.red('✗')} ${r.name}\n      ${c.red(r.message ?? 'failed')}\n      ${c.dim(`at ${displayPath(file)}:${at.start.line}:${at.start.column}`)}`);
          }
        },
      }).finally(closeMcp);
    }
  } finally {
    await store?.close();
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
