#!/usr/bin/env node
// The `baton` command. The CLI is bundled by esbuild.mjs into out/cli.mjs at the repository root
// (`npm ci` runs the build through the root package's `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const bundle = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/cli.mjs');
if (!existsSync(bundle)) {
  process.stderr.write(`baton: the CLI is not built yet (${bundle} is missing). Run \`npm run build\` in the Baton repository.\n`);
  process.exit(2);
}
await import(pathToFileURL(bundle).href);
