/**
 * The real-editor suite's entry, in the shape `@vscode/test-electron` (and code-server's `extensionTestsPath`)
 * runs: the extension host loads this module and awaits `run()`; a rejection fails the run.
 * `scripts/real-editor.mjs` bundles it with each `suite/*.test.ts` into out/test-extension/.
 * With `BATON_EDITOR_RESULTS` set, it also writes `{passes, failures, pending, failed: string[]}` there.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000, ...(process.env.BATON_EDITOR_GREP ? { grep: process.env.BATON_EDITOR_GREP } : {}) });
  for (const file of readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.cjs')) mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const failed: string[] = [];
    const runner = mocha.run((failures) => {
      const results = process.env.BATON_EDITOR_RESULTS;
      if (results) writeFileSync(results, JSON.stringify({ passes: runner.stats?.passes ?? 0, failures, pending: runner.stats?.pending ?? 0, failed }));
      if (failures > 0) reject(new Error(`${failures} real-editor test(s) failed: ${failed.join('; ')}`));
      else resolve();
    });
    runner.on('fail', (test) => failed.push(test.fullTitle()));
  });
}
