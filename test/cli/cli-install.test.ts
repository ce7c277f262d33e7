import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli-helper.js';

// The README's first command is `npm ci && npx baton run …`: npm ci must link the workspace's bin.
describe('the installed baton command', () => {
  it('is linked into node_modules/.bin by the lockfile and runs the README command', () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> };
    assert.deepEqual(lock.packages['packages/cli']?.bin, { baton: 'bin/baton.mjs' }, 'package-lock.json records the bin (npm ci links only what the lock says)');
    const bin = path.join(ROOT, 'node_modules', '.bin', 'baton');
    assert.ok(existsSync(bin), `${bin} exists`);
    const r = spawnSync(bin, ['--version'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });
});
