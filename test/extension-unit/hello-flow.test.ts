import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HELLO_FLOW, HELLO_FLOW_FILE } from '../../packages/extension/src/hello-flow.js';
import { baton } from '../cli/cli-helper.js';
import { check } from '../language/helpers.js';

describe('extension: the walkthrough’s hello.flow', () => {
  it('checks clean: no error and no warning', async () => {
    assert.deepEqual(await check(HELLO_FLOW), { errors: [], warnings: [] });
  });

  it('runs offline and both of its tests pass', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-hello-'));
    try {
      writeFileSync(path.join(dir, HELLO_FLOW_FILE), HELLO_FLOW);
      const run = baton(['run', HELLO_FLOW_FILE, '--json'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { type: string; outputs: unknown };
      assert.deepEqual([last.type, last.outputs], ['run.succeeded', { greeting: 'Hello from Baton!' }]);
      const tests = baton(['test', HELLO_FLOW_FILE], { cwd: dir });
      assert.equal(tests.code, 0, tests.stdout);
      assert.match(tests.stdout, /^2 passed, 0 failed$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
