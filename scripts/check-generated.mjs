// Regenerates the Langium output (language/src/generated, syntaxes/) and fails when it differs from the
// committed files: generated code is never edited by hand and never goes stale (conventions.md, rule 4).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['language/src/generated', 'syntaxes'];

function snapshot() {
  const files = new Map();
  for (const root of roots) {
    for (const name of readdirSync(root)) {
      const file = path.join(root, name);
      if (statSync(file).isFile()) files.set(file, readFileSync(file, 'utf8'));
    }
  }
  return files;
}

const before = snapshot();
execFileSync(process.execPath, ['node_modules/langium-cli/bin/langium.js', 'generate', '--file', 'language/langium-config.json'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const after = snapshot();

const changed = [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f));
if (changed.length > 0) {
  console.error(`Generated files were stale or edited by hand: ${changed.join(', ')}`);
  console.error('They have been regenerated from language/src/baton.langium; commit the result.');
  process.exit(1);
}
console.log(`Generated files are up to date (${after.size} files).`);
