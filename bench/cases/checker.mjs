// Cold `baton check` of a generated file with N steps: a fresh `node out/cli.mjs check` process, timed
// from spawn to exit (best of 3), as a user or CI would run it. Prints one JSON line with the time per MB.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateFlow } from '../generate-flow.mjs';

const steps = Number(process.argv[2]);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-check-'));
const file = path.join(dir, `generated-${steps}.flow`);
writeFileSync(file, generateFlow(steps));
const bytes = statSync(file).size;

let best = Infinity;
for (let i = 0; i < 3; i++) {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ['out/cli.mjs', 'check', file], { cwd: dir.startsWith('/') ? process.cwd() : undefined, stdio: ['ignore', 'ignore', 'inherit'] });
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ system: 'baton-check', shape: 'file', n: steps, totalMs: best, perStepUs: (best * 1000) / steps, bytes, msPerMB: best / (bytes / 1048576) }));
