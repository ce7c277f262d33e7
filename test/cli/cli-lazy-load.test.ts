import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT } from './cli-helper.js';

/**
 * The files of the bundle a `baton` process loads (out/cli.mjs and the `cli-chunk-*.mjs` beside it), recorded by a
 * module loader hook (`module.register`) that notes every `file:` URL it loads; with what the command printed.
 */
function loadedBy(args: string[]): { code: number; stdout: string; files: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-lazy-load-'));
  try {
    const log = path.join(dir, 'loaded.txt');
    writeFileSync(log, '');
    writeFileSync(path.join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`);
    writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.BATON_STORE;
    const result = spawnSync(process.execPath, ['--import', path.join(dir, 'register.mjs'), CLI, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => url !== '')
      .map((url) => fileURLToPath(url))
      .filter((file) => path.dirname(file) === path.dirname(CLI));
    return { code: result.status ?? -1, stdout: result.stdout, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether any of `files` holds `text`. */
const anyHolds = (files: string[], text: string): boolean => files.some((f) => readFileSync(f, 'utf8').includes(text));

describe('what a cold baton process loads (issue 15)', () => {
  // texts that survive minification: the SQLite binding's WebAssembly file (the run store), Prometheus' client
  // (a worker's metrics), the config reader's schema validator (ajv), the checker's parser (Chevrotain)
  const store = 'node-sqlite3-wasm.wasm';
  const metrics = 'process_cpu_user_seconds_total';
  const ajv = 'strictSchema';
  const parser = 'performSelfAnalysis';

  it('baton check loads the checker and its command only: no run store, no metrics, no config reader', () => {
    const check = loadedBy(['check', path.join(ROOT, 'examples', 'outreach.flow')]);
    assert.equal(check.code, 0, check.stdout);
    assert.ok(check.files.includes(CLI), check.files.join('\n'));
    assert.ok(anyHolds(check.files, parser), 'the checker is loaded');
    for (const text of [store, metrics, ajv]) assert.ok(!anyHolds(check.files, text), `baton check loaded a file holding ${text}`);
  });

  it('baton --version loads neither the checker nor the runtime; baton run loads the store', () => {
    const version = loadedBy(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    for (const text of [parser, store, metrics, ajv]) assert.ok(!anyHolds(version.files, text), `baton --version loaded a file holding ${text}`);
    const run = loadedBy(['run', path.join(ROOT, 'examples', 'outreach.flow'), '--store', 'runs.db']);
    assert.ok(anyHolds(run.files, store), 'baton run loads the run store');
  });
});
