// Parts of scripts/real-editor.mjs's suite run: which suite files and tests to run (--files, --grep), and a suite
// test's request to look at the window through Chromium (test/extension/suite/util.ts `look`).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A bad command line: exit 2 with its message. */
export class UsageError extends Error {}

/**
 * Takes `--files a,b` (only suite/a.test.ts and suite/b.test.ts) and `--grep <pattern>` (only the tests whose full
 * title matches) out of `args` (either implies `--suite`, pushed onto `args`). Throws a UsageError for a missing value
 * or a file the suite does not have.
 */
export function suiteSelection(args, suiteDir, root) {
  const valueOf = (option) => {
    const i = args.indexOf(option);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    if (!value || value.startsWith('--')) throw new UsageError(`${option} needs a value`);
    if (!args.includes('--suite')) args.push('--suite');
    return value;
  };
  const files = valueOf('--files')?.split(',').map((f) => f.trim().replace(/\.test\.ts$/, '')).filter(Boolean);
  const grep = valueOf('--grep');
  const known = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).map((f) => f.replace(/\.test\.ts$/, ''));
  const missing = files?.find((f) => !known.includes(f));
  if (missing) throw new UsageError(`--files: no ${path.relative(root, path.join(suiteDir, `${missing}.test.ts`))} (there are ${known.join(', ')})`);
  return { files, grep };
}

/**
 * A suite test's request to look at the window (`{ name, hover? }`): hovers graph node `hover` in the graph panel and
 * reads its details, reads the side bar's rows (the Runs view), saves <screenshots>/<name>.png, and answers
 * `{ tooltip?, rows, screenshot, error? }` in <looks>/<name>.json.
 */
export async function look(page, request, looks, screenshots) {
  const answer = {};
  try {
    if (!/^[\w-]+$/.test(request.name ?? '')) throw new Error(`a look's name is letters, digits, - and _ (${JSON.stringify(request.name)})`);
    if (request.hover) {
      const graph = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      await graph.locator(`g.node[data-id=${JSON.stringify(request.hover)}]`).hover({ timeout: 15_000 });
      const tooltip = graph.locator('.tooltip');
      await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
      answer.tooltip = await tooltip.innerText();
    }
    // the rows of the side bar's trees as drawn (the Runs view): each row's label, a space, its description
    answer.rows = await page.locator('.part.sidebar .monaco-list-row').evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('.label-name'), r.querySelector('.label-description')].map((e) => e?.textContent ?? '').join(' ').replace(/\s+/g, ' ').trim()),
    );
    mkdirSync(screenshots, { recursive: true });
    answer.screenshot = path.join(screenshots, `${request.name}.png`);
    await page.screenshot({ path: answer.screenshot });
  } catch (error) {
    answer.error = error.message;
  }
  writeFileSync(path.join(looks, `${request.name}.json`), JSON.stringify(answer));
}
