// `npm run docs:graphs`: draws every flow of every example as SVG into docs/graphs/<file>-<Flow>.svg with the
// built CLI (run `npm run build` first).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'out', 'cli.mjs');
for (const file of readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.flow')).sort()) {
  const graph = (flow) => execFileSync(process.execPath, [cli, 'graph', path.join('examples', file), ...(flow ? ['--flow', flow] : []), '--format', 'json'], { cwd: root, encoding: 'utf8' });
  const text = execFileSync('grep', ['-o', '^flow [A-Za-z_][A-Za-z0-9_]*', path.join(root, 'examples', file)], { encoding: 'utf8' });
  for (const flow of text.trim().split('\n').map((l) => l.slice(5))) {
    graph(flow); // checks the flow draws before writing
    const out = path.join('docs', 'graphs', `${file.replace(/\.flow$/, '')}-${flow}.svg`);
    execFileSync(process.execPath, [cli, 'graph', path.join('examples', file), '--flow', flow, '--format', 'svg', '-o', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(out);
  }
}
