// Builds the bundles: Node/ESM for the CLI (and, with later issues, the extension and language server),
// browser/IIFE for the graph webview. Type checking is `tsc -b`; this only emits.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const outdir = 'out';
mkdirSync(outdir, { recursive: true });

/** Node bundles. ESM output needs a real `require` for the CommonJS dependencies it inlines. */
const nodeEntries = [{ in: 'packages/cli/src/main.ts', out: 'cli' }].filter((e) => existsSync(e.in));

const options = {
  entryPoints: nodeEntries,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __batonCreateRequire } from 'node:module'; import { fileURLToPath as __batonFileURLToPath } from 'node:url'; import { dirname as __batonDirname } from 'node:path'; const require = __batonCreateRequire(import.meta.url); const __filename = __batonFileURLToPath(import.meta.url); const __dirname = __batonDirname(__filename);",
  },
};

// The SQLite WebAssembly binary is loaded from beside the bundle (node-sqlite3-wasm looks in __dirname).
const wasm = path.join(path.dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm');
copyFileSync(wasm, path.join(outdir, 'node-sqlite3-wasm.wasm'));

if (nodeEntries.length > 0) {
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  } else {
    await esbuild.build(options);
  }
}
